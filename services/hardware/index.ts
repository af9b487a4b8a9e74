export type { BootDeviceView, HardwareCalls, HardwareMethod } from './hardware-calls.js';
export { NodeHardware } from './node-hardware.js';
