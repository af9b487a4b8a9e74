// The ipmi hardware type against the IPMI sim over loopback UDP.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BmcAuthFailed,
  BmcDriverRegistry,
  BmcTimeout,
  requireInterface,
  UnsupportedOperation,
  type BmcCallEvent,
  type BmcDriver,
  type PowerTarget,
} from '../../../bmc-drivers/index.js';
import {
  IpmiSimServer,
  type IpmiBootFlags,
  type IpmiChassisAction,
  type IpmiPowerState,
  type IpmiTarget,
} from '../../../sim/ipmi/index.js';

const PASSWORD = 'Ipmi-pw-7';

/** A machine that takes `delayMs` per command and counts how many it ever had at once. */
class CountingTarget implements IpmiTarget {
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
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly delayMs = 0,
    private readonly beforeAnswer: () => Promise<void> = async () => undefined,
  ) {}

  getPower(): Promise<IpmiPowerState> {
    return this.command(() => this.power);
  }

  chassisControl(action: IpmiChassisAction): Promise<void> {
    return this.command(() => {
      this.actions.push(action);
      this.power = action === 'off' || action === 'soft' ? 'off' : 'on';
    });
  }

  getBootFlags(): Promise<IpmiBootFlags> {
    return this.command(() => this.bootFlags);
  }

  setBootFlags(flags: IpmiBootFlags): Promise<void> {
    return this.command(() => {
      this.bootFlags = flags;
    });
  }

  private async command<T>(work: () => T): Promise<T> {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      await this.beforeAnswer();
      return work();
    } finally {
      this.inFlight -= 1;
    }
  }
}

const sims: IpmiSimServer[] = [];
const drivers: BmcDriver[] = [];
let events: BmcCallEvent[];
let registry: BmcDriverRegistry;

beforeEach(() => {
  events = [];
  registry = new BmcDriverRegistry({
    policy: { timeoutMs: 2000, attempts: 2, baseDelayMs: 5, maxDelayMs: 20 },
    ipmiTiming: { retransmitMs: 100, maxRetransmitMs: 200 },
    onCall: (event) => events.push(event),
  });
});

afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function startSim(target = new CountingTarget()): Promise<{ port: number; target: CountingTarget }> {
  const sim = await IpmiSimServer.start({ target, username: 'admin', password: PASSWORD });
  sims.push(sim);
  return { port: sim.port, target };
}

function driverFor(port: number, info: Record<string, unknown> = {}, from = registry): BmcDriver {
  const driver = from.fromDriverInfo('ipmi', {
    ipmi_address: '127.0.0.1',
    ipmi_port: port,
    ipmi_username: 'admin',
    ipmi_password: PASSWORD,
    ...info,
  });
  drivers.push(driver);
  return driver;
}

describe('ipmi driver against the IPMI sim', () => {
  it.each([3, 17])('reads and drives power through every target with cipher suite %i', async (suite) => {
    const { port, target } = await startSim();
    const driver = driverFor(port, { ipmi_cipher_suite: suite });
    expect(driver.name).toBe('ipmi');
    expect(driver.bmc).toBe(`127.0.0.1:${port}`);
    expect(await driver.power.getPowerState()).toBe('power off');
    for (const step of [
      'power on',
      'rebooting',
      'soft rebooting',
      'soft power off',
      'power on',
      'power off',
    ] as const) {
      await driver.power.setPowerState(step, { timeoutMs: 2000 });
    }
    expect(await driver.power.getPowerState()).toBe('power off');
    // A soft reboot is a soft power-off, then on; a power-on of a machine that is on sends nothing.
    expect(target.actions).toEqual(['on', 'cycle', 'soft', 'on', 'soft', 'on', 'off']);
  });

  it('reboots a machine that is off by powering it on', async () => {
    const { port, target } = await startSim();
    await driverFor(port).power.setPowerState('rebooting');
    expect(target.actions).toEqual(['on']);
  });

  it('refuses an unknown power target before any BMC call', async () => {
    const { port, target } = await startSim();
    await expect(driverFor(port).power.setPowerState('hibernate' as PowerTarget)).rejects.toBeInstanceOf(
      UnsupportedOperation,
    );
    expect(target.actions).toEqual([]);
    expect(events).toEqual([]);
  });

  it('sets and reads the boot device, once or persistent, UEFI or legacy', async () => {
    const { port, target } = await startSim();
    const driver = driverFor(port);
    expect(await driver.management.getBootDevice()).toEqual({ device: null, persistent: null, mode: null });
    await driver.management.setBootDevice('pxe');
    expect(target.bootFlags).toEqual({ valid: true, persistent: false, mode: 'efi', device: 'pxe' });
    expect(await driver.management.getBootDevice()).toEqual({ device: 'pxe', persistent: false, mode: 'uefi' });
    await driver.management.setBootDevice('disk', { persistent: true, mode: 'bios' });
    expect(await driver.management.getBootDevice()).toEqual({ device: 'disk', persistent: true, mode: 'bios' });
    await driver.management.setBootDevice('bios');
    expect(target.bootFlags.device).toBe('bios');
  });

  it('injects an NMI as the chassis diagnostic interrupt', async () => {
    const { port, target } = await startSim();
    await driverFor(port).management.injectNmi();
    expect(target.actions).toContain('diag');
  });

  it('has no inspect, virtual media, BIOS or firmware interface', async () => {
    const { port } = await startSim();
    const driver = driverFor(port);
    for (const part of ['inspect', 'virtualMedia', 'bios', 'firmware'] as const) {
      expect(() => requireInterface(driver, part)).toThrow(UnsupportedOperation);
    }
  });

  it('reports a wrong password as BmcAuthFailed after one attempt, without the password', async () => {
    const { port } = await startSim();
    const driver = driverFor(port, { ipmi_password: 'Wrong-pw-99' });
    const error = await driver.power.getPowerState().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BmcAuthFailed);
    expect(error).toMatchObject({ attempts: 1 });
    expect((error as Error).message).not.toContain('Wrong-pw-99');
  });

  it('times out a BMC that does not answer, retrying within the attempts', async () => {
    const { port } = await startSim();
    const quick = new BmcDriverRegistry({
      policy: { timeoutMs: 300, attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      ipmiTiming: { retransmitMs: 50, maxRetransmitMs: 50 },
      onCall: (event) => events.push(event),
    });
    await sims.splice(0).at(0)?.close();
    const error = await driverFor(port, {}, quick)
      .power.getPowerState()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BmcTimeout);
    expect(events.at(-1)).toMatchObject({ outcome: 'timeout', attempts: 2 });
  });

  it('never lets one BMC see two commands at once, across drivers of one registry', async () => {
    const { port, target } = await startSim(new CountingTarget(10));
    const pair = [driverFor(port), driverFor(port)];
    await Promise.all(
      pair.flatMap((d) => [d.power.getPowerState(), d.management.getBootDevice(), d.power.setPowerState('power on')]),
    );
    expect(target.maxInFlight).toBe(1);
  });

  it('runs calls to different BMCs in parallel', async () => {
    // Each machine answers only once the other one has been asked too: run
    // one after the other, the first call would wait for ever and time out.
    const arrived = new Set<string>();
    let bothArrived!: () => void;
    const barrier = new Promise<void>((resolve) => {
      bothArrived = resolve;
    });
    const meet = (name: string) => async (): Promise<void> => {
      arrived.add(name);
      if (arrived.size === 2) bothArrived();
      await barrier;
    };
    const a = await startSim(new CountingTarget(0, meet('a')));
    const b = await startSim(new CountingTarget(0, meet('b')));
    const states = await Promise.all([
      driverFor(a.port).power.getPowerState(),
      driverFor(b.port).power.getPowerState(),
    ]);
    expect(states).toEqual(['power off', 'power off']);
  });
});
