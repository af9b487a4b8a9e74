// The Redfish BMC driver's public surface. Other folders import only this file.
export { RedfishClient } from './client.js';
export type {
  RedfishAuthMode,
  RedfishClientOptions,
  RedfishCredentials,
  RedfishResponse,
  RequestOptions,
  PatchOptions,
  TaskOutcome,
  TaskWaitOptions,
} from './client.js';
export {
  RedfishError,
  RedfishHttpError,
  RedfishTimeoutError,
  RedfishAuthError,
  RedfishProtocolError,
  RedfishConnectionError,
  RedfishTaskError,
  RedfishUnsupportedError,
} from './errors.js';
export { parseRedfishAddress, detectVendor, resolveSystem, connectRedfish } from './system-path.js';
export type { RedfishAddress, RedfishSystem, Vendor, ConnectOptions } from './system-path.js';
export { getPowerState, setPowerState, POWER_STATE_MAP, RESET_TYPE_MAP } from './power.js';
export type { ResetWaitOptions } from './power.js';
export {
  getBootDevice,
  setBootDevice,
  setBootMode,
  BOOT_DEVICE_MAP,
  BOOT_DEVICE_TO_TARGET,
  BOOT_MODE_MAP,
} from './management.js';
export { inspectHardware } from './inspect.js';
export { findVirtualMedia, insertVirtualMedia, ejectVirtualMedia } from './virtual-media.js';
export type { VirtualMediaDevice } from './virtual-media.js';
export {
  getBiosAttributes,
  getBiosRegistry,
  getPendingBiosAttributes,
  setBiosAttributes,
  checkBiosSettings,
  InvalidBiosSettings,
} from './bios.js';
export {
  firmwareTargetOf,
  getFirmwareComponents,
  getFirmwareVersions,
  startFirmwareUpdate,
  updateFirmware,
} from './firmware.js';
export type { FirmwareVersions, FirmwareUpdateStart, UpdateFirmwareOptions } from './firmware.js';
export { readStorage, volumeRequests, createVolume, deleteVolume, builtVolumes } from './raid.js';
export type { StorageMap, VolumeChange, VolumeRequest } from './raid.js';
export {
  planRaidConfiguration,
  selectLogicalDisks,
  targetLogicalDisks,
  InvalidRaidConfiguration,
  RAID_TYPE_OF,
} from './raid-plan.js';
export type { PlannedVolume } from './raid-plan.js';
export { createSubscription, deleteSubscription, getSubscription, listSubscriptions } from './events.js';
