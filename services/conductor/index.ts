export { ConductorService, type ConductorTiming } from './conductor-service.js';
export { fakeHardware } from './fake-hardware.js';
export type { HardwareRuntime, NodeTask } from './hardware-runtime.js';
export { HashRing } from './hash-ring.js';
export { Intake, type ProvisionRequest } from './intake.js';
export { ConductorMembership } from './membership.js';
export { Placement } from './placement.js';
export { RUNNABLE_STATES, Worker } from './worker.js';
