// The `ipmi` hardware type as a BmcDriver: power and management only, over
// the native IPMI v2.0 client. Power changes wait for the chassis to report
// the new state, as Ironic's ipmitool driver does.
import { bmcKey, type IpmiConnection } from '../driver-info.js';
import {
  BOOT_DEVICES,
  checkBootDevice,
  checkPowerTarget,
  POWER_TARGETS,
  type BmcDriver,
  type BootDevice,
  type BootDeviceInfo,
  type BootMode,
  type ManagementInterface,
  type PowerInterface,
  type PowerState,
  type PowerTarget,
} from '../driver.js';
import { DriverClosed } from '../errors.js';
import type { BmcCallGuard, GuardedCall } from '../guard.js';
import { IpmiClient, type IpmiTiming } from './client.js';
import type { IpmiBootDevice, IpmiBootMode } from './commands.js';
import { IpmiTimeoutError } from './errors.js';
import { ipmiFailure } from './failure.js';

/** Ironic's power_state_change_timeout. */
const POWER_STATE_CHANGE_TIMEOUT_MS = 60_000;
const POWER_POLL_INTERVAL_MS = 1000;
const REPEATABLE: ReadonlySet<PowerTarget> = new Set(['power on', 'power off', 'soft power off']);

const TO_IPMI_MODE: Readonly<Record<BootMode, IpmiBootMode>> = { uefi: 'efi', bios: 'legacy' };
const FROM_IPMI_MODE: Readonly<Record<IpmiBootMode, BootMode>> = { efi: 'uefi', legacy: 'bios' };
const FROM_IPMI_DEVICE: Readonly<Partial<Record<IpmiBootDevice, BootDevice>>> = {
  pxe: 'pxe',
  disk: 'disk',
  'disk-safe-mode': 'disk',
  cdrom: 'cdrom',
  bios: 'bios',
};

export interface IpmiDriverOptions {
  /** Retransmission timing of the client; its deadline defaults to the guard's attempt deadline. */
  timing?: Partial<IpmiTiming>;
}

type CallOptions = Pick<GuardedCall<unknown>, 'timeoutMs' | 'idempotent'>;

export class IpmiDriver implements BmcDriver {
  readonly name = 'ipmi';
  readonly bmc: string;
  readonly power: PowerInterface;
  readonly management: ManagementInterface;
  private readonly client: IpmiClient;
  private used = false;
  private closed = false;

  constructor(
    private readonly connection: IpmiConnection,
    private readonly guard: BmcCallGuard,
    options: IpmiDriverOptions = {},
  ) {
    this.bmc = bmcKey(connection);
    this.client = new IpmiClient({
      host: connection.host,
      port: connection.port,
      username: connection.username,
      password: connection.password,
      privilege: connection.privilege,
      cipherSuite: connection.cipherSuite,
      timing: { deadlineMs: guard.policy.timeoutMs, ...options.timing },
    });
    this.power = {
      supportedPowerStates: POWER_TARGETS,
      getPowerState: () => this.call('get_power_state', () => this.readPower()),
      setPowerState: async (target, options = {}) => {
        const checked = checkPowerTarget(this.name, POWER_TARGETS, target);
        const waitMs = options.timeoutMs ?? POWER_STATE_CHANGE_TIMEOUT_MS;
        await this.drivePower(checked, waitMs);
      },
    };
    this.management = {
      supportedBootDevices: BOOT_DEVICES,
      getBootDevice: () => this.call('get_boot_device', () => this.readBootDevice()),
      setBootDevice: async (device, options = {}) => {
        const checked = checkBootDevice(this.name, BOOT_DEVICES, device);
        await this.call('set_boot_device', () =>
          this.client.setBootDevice({
            device: checked,
            persistent: options.persistent ?? false,
            // The boot flags carry the mode with the device; Ironic's default boot mode is UEFI.
            mode: TO_IPMI_MODE[options.mode ?? 'uefi'],
          }),
        );
      },
      // Chassis Control "pulse diagnostic interrupt", which BMCs deliver as an NMI (as ipmitool's `chassis power diag`).
      injectNmi: () => this.call('inject_nmi', () => this.client.chassisControl('diagnostic-interrupt')),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.used) return;
    // Through the guard, so Close Session never lands on top of a call in flight.
    await this.guard.call({ ...this.describe('close_session'), run: () => this.client.close() });
  }

  private async readPower(): Promise<PowerState> {
    return (await this.client.getPowerState()) === 'on' ? 'power on' : 'power off';
  }

  /**
   * Ironic's ipmitool semantics: a reboot of a machine that is off powers it
   * on; a soft reboot is a soft power-off, then on. Each action and each wait
   * for its result is a call of its own, so that a failed look at the power
   * state is retried on its own: retrying both would send a reboot twice, and
   * the second boot would miss the one-time boot override the first consumed.
   */
  private async drivePower(target: PowerTarget, waitMs: number): Promise<void> {
    const started = this.guard.clock.now();
    if (target === 'soft rebooting') {
      await this.actAndWait('soft power off', started, waitMs);
      return this.actAndWait('power on', started, waitMs);
    }
    return this.actAndWait(target, started, waitMs);
  }

  private async actAndWait(
    target: Exclude<PowerTarget, 'soft rebooting'>,
    started: number,
    waitMs: number,
  ): Promise<void> {
    const expected = await this.call('set_power_state', () => this.act(target), { idempotent: REPEATABLE.has(target) });
    if (expected === null) return;
    await this.call('wait_power_state', () => this.waitFor(expected, started, waitMs), {
      timeoutMs: this.guard.policy.timeoutMs + waitMs,
    });
  }

  /** Sends the chassis control a target needs; returns the state to wait for, or null when the machine is there already. */
  private async act(target: Exclude<PowerTarget, 'soft rebooting'>): Promise<PowerState | null> {
    const current = await this.readPower();
    switch (target) {
      case 'power on':
        if (current === 'power on') return null;
        await this.client.chassisControl('on');
        return 'power on';
      case 'power off':
        if (current === 'power off') return null;
        await this.client.chassisControl('off');
        return 'power off';
      case 'soft power off':
        if (current === 'power off') return null;
        await this.client.chassisControl('soft-off');
        return 'power off';
      case 'rebooting':
        await this.client.chassisControl(current === 'power on' ? 'cycle' : 'on');
        return 'power on';
    }
  }

  private async waitFor(expected: PowerState, started: number, waitMs: number): Promise<void> {
    const maxPolls = Math.ceil(waitMs / POWER_POLL_INTERVAL_MS) + 1;
    for (let poll = 0; poll < maxPolls; poll++) {
      if ((await this.readPower()) === expected) return;
      const left = waitMs - (this.guard.clock.now() - started);
      if (left <= 0) break;
      await this.guard.clock.sleep(Math.min(POWER_POLL_INTERVAL_MS, left));
    }
    throw new IpmiTimeoutError(this.bmc, `wait for ${expected}`, Math.round(this.guard.clock.now() - started));
  }

  private async readBootDevice(): Promise<BootDeviceInfo> {
    const flags = await this.client.getBootFlags();
    if (!flags.valid) return { device: null, persistent: null, mode: null };
    return {
      device: FROM_IPMI_DEVICE[flags.device] ?? null,
      persistent: flags.persistent,
      mode: FROM_IPMI_MODE[flags.mode],
    };
  }

  private call<T>(operation: string, run: () => Promise<T>, options: CallOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new DriverClosed(this.name, this.bmc));
    this.used = true;
    return this.guard.call({ ...this.describe(operation), ...options, run });
  }

  private describe(operation: string): Omit<GuardedCall<unknown>, 'run'> {
    return { driver: this.name, operation, bmc: this.bmc, classify: ipmiFailure, secrets: [this.connection.password] };
  }
}
