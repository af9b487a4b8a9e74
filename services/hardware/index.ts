export type { BootDeviceView, HardwareCalls, HardwareMethod, VirtualMediaView } from './hardware-calls.js';
export { NodeHardware } from './node-hardware.js';
export { parseVendorCall, subscriptionView, vendorMethodsOf } from './vendor-passthru.js';
export type { VendorCall, VendorMethodMetadata, VendorPassthruResult } from './vendor-passthru.js';
