// The IPMI face of a shared simulated host: IPMI's chassis and boot-flag
// vocabulary translated into SimHost's, so an IPMI power-off is what the
// Redfish face reports next, and a Redfish boot override is what IPMI reads.
import { decideBootFailure, decidePowerDrift, type FaultBook, type RandomSource } from '../faults/index.js';
import type { BootOverride, BootTarget, PowerAction, SimHost } from '../host/index.js';
import {
  IpmiTargetRefusal,
  type IpmiBootDevice,
  type IpmiBootFlags,
  type IpmiChassisAction,
  type IpmiDeviceIdentity,
  type IpmiPowerState,
  type IpmiTarget,
} from './target.js';

/** Completion code D5h, "command not supported in present state" (IPMI v2.0 Table 5-2). */
const CC_NOT_IN_PRESENT_STATE = 0xd5;

const CHASSIS_ACTION_TO_POWER_ACTION: Readonly<Record<Exclude<IpmiChassisAction, 'cycle'>, PowerAction>> = {
  on: 'On',
  off: 'ForceOff',
  reset: 'ForceRestart',
  // The pulse diagnostic interrupt, which a machine takes as an NMI.
  diag: 'Nmi',
  soft: 'GracefulShutdown',
};

const BOOT_DEVICE_TO_TARGET: Readonly<Record<IpmiBootDevice, BootTarget>> = {
  none: 'none',
  pxe: 'pxe',
  disk: 'hdd',
  cdrom: 'cd',
  bios: 'bios-setup',
};

const BOOT_TARGET_TO_DEVICE: Readonly<Record<BootTarget, IpmiBootDevice>> = {
  none: 'none',
  pxe: 'pxe',
  hdd: 'disk',
  cd: 'cdrom',
  'bios-setup': 'bios',
  // IPMI has no HTTP boot device; the nearest it can report is a network boot.
  'uefi-http': 'pxe',
};

/**
 * IANA enterprise numbers of the vendors a simulated host may claim to be,
 * so `ipmitool mc info` names the manufacturer the Redfish face reports.
 * Any other vendor reads as 0, "unspecified".
 */
const ENTERPRISE_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['dell inc.', 674],
  ['hpe', 47196],
  ['supermicro', 10876],
  ['lenovo', 19046],
]);

/** Get Device ID's device id for a BMC (IPMI v2.0 section 20.1: 20h is the BMC's own slave address). */
const BMC_DEVICE_ID = 0x20;

export function bootFlagsFromOverride(override: BootOverride): IpmiBootFlags {
  return {
    valid: override.enabled !== 'disabled',
    persistent: override.enabled === 'continuous',
    mode: override.mode === 'uefi' ? 'efi' : 'legacy',
    device: BOOT_TARGET_TO_DEVICE[override.target],
  };
}

export function overrideFromBootFlags(flags: IpmiBootFlags): BootOverride {
  return {
    target: BOOT_DEVICE_TO_TARGET[flags.device],
    enabled: !flags.valid ? 'disabled' : flags.persistent ? 'continuous' : 'once',
    mode: flags.mode === 'efi' ? 'uefi' : 'legacy',
  };
}

/** The device identity a host's BMC reports: vendor, a product id from the model, the BMC firmware version. */
export function deviceIdentityOf(host: Pick<SimHost, 'vendor' | 'model' | 'firmware'>): IpmiDeviceIdentity {
  const bmc = host.firmware.find((f) => f.id === 'BMC');
  const [major = 0, minor = 0] = (bmc?.version ?? '')
    .split('.')
    .map((part) => Number.parseInt(part, 10))
    .map((n) => (Number.isFinite(n) ? n : 0));
  return {
    deviceId: BMC_DEVICE_ID,
    deviceRevision: 1,
    firmwareMajor: major,
    firmwareMinor: minor,
    manufacturerId: ENTERPRISE_NUMBERS.get(host.vendor.toLowerCase()) ?? 0,
    productId: fnv1a16(host.model),
  };
}

export interface HostIpmiTargetOptions {
  host: SimHost;
  /** The fleet's fault book: power drift and boot failures apply to IPMI commands as to Redfish requests. */
  faults: FaultBook;
  random: RandomSource;
}

/** A SimHost seen through IPMI. Each call is one command in the host's history. */
export class HostIpmiTarget implements IpmiTarget {
  private readonly host: SimHost;
  private readonly faults: FaultBook;
  private readonly random: RandomSource;

  constructor(options: HostIpmiTargetOptions) {
    this.host = options.host;
    this.faults = options.faults;
    this.random = options.random;
  }

  get deviceIdentity(): IpmiDeviceIdentity {
    return deviceIdentityOf(this.host);
  }

  getPower(): IpmiPowerState {
    return this.command('IPMI Get Chassis Status', () => (this.host.power === 'On' ? 'on' : 'off'));
  }

  chassisControl(action: IpmiChassisAction): void {
    this.command(`IPMI Chassis Control ${action}`, () => {
      // IPMI v2.0 Table 28-4 recommends that a power cycle of a machine that
      // is off do nothing and answer D5h; a console must power it on instead.
      if (action === 'cycle' && this.host.power === 'Off') {
        throw new IpmiTargetRefusal(CC_NOT_IN_PRESENT_STATE, 'power cycle of a machine that is off');
      }
      const bootFails = decideBootFailure(this.faults.forHost(this.host.name), this.random);
      this.host.powerAction(action === 'cycle' ? 'PowerCycle' : CHASSIS_ACTION_TO_POWER_ACTION[action], { bootFails });
    });
  }

  getBootFlags(): IpmiBootFlags {
    return this.command('IPMI Get Boot Flags', () => bootFlagsFromOverride(this.host.boot));
  }

  setBootFlags(flags: IpmiBootFlags): void {
    this.command(`IPMI Set Boot Flags ${flags.device}`, () => this.host.setBootOverride(overrideFromBootFlags(flags)));
  }

  private command<T>(name: string, act: () => T): T {
    const end = this.host.beginCommand(name);
    try {
      if (decidePowerDrift(this.faults.forHost(this.host.name), this.random)) this.host.drift();
      return act();
    } finally {
      end();
    }
  }
}

/** 16-bit FNV-1a: a stable product id per model name. */
function fnv1a16(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return ((hash >>> 16) ^ hash) & 0xffff;
}
