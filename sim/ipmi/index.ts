// Public surface of the simulated IPMI BMC (virtualbmc style).
export { IpmiSimServer } from './server.js';
export type { IpmiSimOptions, IpmiSimFaults, IpmiSimStats, IpmiSimDropReason } from './server.js';
export { IpmiTargetRefusal } from './target.js';
export type {
  IpmiTarget,
  IpmiPowerState,
  IpmiChassisAction,
  IpmiBootDevice,
  IpmiBootFlags,
  IpmiDeviceIdentity,
} from './target.js';
export { HostIpmiTarget, bootFlagsFromOverride, overrideFromBootFlags, deviceIdentityOf } from './host-target.js';
export type { HostIpmiTargetOptions } from './host-target.js';
export { HostIpmiFaults, ipmiFaultCompletionCode } from './host-faults.js';
