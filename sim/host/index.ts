export { SimHost, SimHostError } from './host.js';
export type { SimHostSpec, SimHostOptions, SimHostSnapshot, SimHostErrorCode, PowerActionOptions } from './host.js';
export { FirmwareJob } from './firmware-job.js';
export type { FirmwareJobPlan, FirmwareJobState, FirmwareJobStatus } from './firmware-job.js';
export { Fleet, createFleet, hostSpec } from './fleet.js';
export type { FleetOptions } from './fleet.js';
export { buildManifest } from './manifest.js';
export type { SimManifest, SimManifestHost, ManifestEndpoints } from './manifest.js';
export * from './types.js';
