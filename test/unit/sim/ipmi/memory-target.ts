// A machine in memory for the IPMI sim tests: power and boot override only,
// with a log of what it was asked to do.
import type { IpmiBootFlags, IpmiChassisAction, IpmiPowerState, IpmiTarget } from '../../../../sim/ipmi/index.js';

export class MemoryTarget implements IpmiTarget {
  readonly deviceIdentity = {
    deviceId: 0x20,
    deviceRevision: 1,
    firmwareMajor: 2,
    firmwareMinor: 47,
    manufacturerId: 0xa2b3c,
    productId: 0x1234,
  };
  power: IpmiPowerState = 'off';
  bootFlags: IpmiBootFlags = { valid: false, persistent: false, mode: 'legacy', device: 'none' };
  readonly actions: IpmiChassisAction[] = [];

  getPower(): IpmiPowerState {
    return this.power;
  }

  chassisControl(action: IpmiChassisAction): void {
    this.actions.push(action);
    if (action === 'off' || action === 'soft') this.power = 'off';
    else this.power = 'on';
  }

  getBootFlags(): IpmiBootFlags {
    return this.bootFlags;
  }

  setBootFlags(flags: IpmiBootFlags): void {
    this.bootFlags = flags;
  }
}
