// The BMC driver layer's public surface: services import only this file.
export type {
  BiosAttributes,
  BiosInterface,
  BiosRegistry,
  BiosRegistryEntry,
  BiosValue,
  BmcDriver,
  BootDevice,
  BootDeviceInfo,
  BootMode,
  BmcResource,
  EventsInterface,
  EventSubscription,
  EventSubscriptionRequest,
  FirmwareComponent,
  FirmwareInterface,
  FirmwareUpdateOptions,
  FirmwareUpdateResult,
  HardwareInventory,
  HardwareType,
  HealthState,
  InspectInterface,
  InventoryCpu,
  InventoryDisk,
  InventoryNic,
  ManagementInterface,
  OptionalInterfaces,
  PowerInterface,
  PowerState,
  PowerTarget,
  BuiltLogicalDisk,
  LogicalDisk,
  RaidInterface,
  RaidLevel,
  RaidOptions,
  StorageController,
  StorageDrive,
  StorageVolume,
  SetBootDeviceOptions,
  SetPowerOptions,
  VirtualMediaInterface,
  VirtualMediaSlot,
} from './driver.js';
export { BOOT_DEVICES, POWER_TARGETS, requireHttpBoot, requireInterface } from './driver.js';
export { InvalidRaidConfiguration, selectLogicalDisks, targetLogicalDisks } from './redfish/raid-plan.js';
export { parseBmcAddress } from './address.js';
export type { BmcAddress, BmcProtocol, BootMethod } from './address.js';
export { bmcKey, enrollmentFromAddress, HARDWARE_TYPES, parseDriverInfo } from './driver-info.js';
export type {
  BmcConnection,
  BmcCredentials,
  Enrollment,
  IpmiCipherSuite,
  IpmiConnection,
  RedfishAuthType,
  RedfishConnection,
  TlsVerification,
} from './driver-info.js';
export { BmcDriverRegistry } from './registry.js';
export type { BmcDriverRegistryOptions } from './registry.js';
export { DEFAULT_GUARD_POLICY } from './guard.js';
export type {
  BmcCallEvent,
  BmcCallGuard,
  BmcCallGuardOptions,
  BmcCallObserver,
  BmcCallOutcome,
  GuardClock,
  GuardPolicy,
} from './guard.js';
export {
  BmcAuthFailed,
  BmcError,
  BmcProtocolError,
  BmcRefused,
  BmcTimeout,
  BmcUnavailable,
  BmcUnreachable,
  DriverClosed,
  InvalidBmcAddress,
  InvalidDriverInfo,
  UnsupportedOperation,
} from './errors.js';
export type { BmcFailureKind } from './errors.js';
