export { Conductor, type ProvisionRequest } from './conductor.js';
export { TaskRunner, NodeLease } from './task-runner.js';
export { fakeHardware } from './fake-hardware.js';
export type { HardwareRuntime, NodeTask } from './hardware-runtime.js';
