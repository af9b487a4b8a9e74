export { FirmwareCache } from './cache.js';
export type { FirmwareRecord, ReportedFirmware } from './model.js';
export { FirmwareRepository } from './repository.js';
export { planFirmwareSync, type FirmwareChange, type FirmwareSyncPlan } from './sync.js';
