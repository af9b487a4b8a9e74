// Public surface of Anvil's native IPMI v2.0 (RMCP+) client.
export { IpmiClient, DEFAULT_IPMI_TIMING } from './client.js';
export type {
  IpmiClientOptions,
  IpmiTiming,
  IpmiLogger,
  IpmiClientStats,
  IpmiPowerState,
  BootDeviceRequest,
} from './client.js';
export {
  IpmiError,
  IpmiTimeoutError,
  IpmiAuthError,
  IpmiCompletionCodeError,
  IpmiProtocolError,
  describeCompletionCode,
} from './errors.js';
export { CIPHER_SUITES } from './cipher-suites.js';
export type { CipherSuite, CipherSuiteId } from './cipher-suites.js';
export { chassisControl, getBootFlags, getChassisStatus, getDeviceId, setBootFlags } from './commands.js';
export type {
  BootFlags,
  ChannelAuthCapabilities,
  ChassisControlAction,
  ChassisStatus,
  CipherSuiteRecord,
  DeviceId,
  IpmiBootDevice,
  IpmiBootMode,
  IpmiCommand,
  PowerRestorePolicy,
} from './commands.js';
export type { IpmiPrivilege } from './privilege.js';
export type { AsfPong } from './rmcp.js';
