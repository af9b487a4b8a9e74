export { SimHost, SimHostError } from './host.js';
export type { SimHostSpec, SimHostOptions, SimHostSnapshot, SimHostErrorCode, PowerActionOptions } from './host.js';
export { FirmwareJob } from './firmware-job.js';
export { SIM_BIOS_REGISTRY } from './bios-registry.js';
export type { BiosAttributeDefinition, BiosAttributeType, BiosValueProblem } from './bios-registry.js';
export type { FirmwareJobPlan, FirmwareJobState, FirmwareJobStatus } from './firmware-job.js';
export {
  SimStorage,
  SimStorageError,
  VolumeJob,
  RAID_TYPES,
  CONTROLLER_MODEL,
  controllerOf,
  protocolOf,
} from './storage.js';
export type { RaidType, SimVolume, VolumeRequest, VolumeJobStatus, SimStorageErrorCode } from './storage.js';
export { Fleet, createFleet, hostSpec } from './fleet.js';
export type { FleetOptions, StorageLayout } from './fleet.js';
export { buildManifest } from './manifest.js';
export type { SimManifest, SimManifestHost, ManifestEndpoints } from './manifest.js';
export * from './types.js';
