// A running fleet seen from Anvil's own clients: both faces act on the same
// host, the manifest's addresses work as they are, and faults set on the
// control API reach the IPMI face.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  IpmiAuthError,
  IpmiClient,
  IpmiCompletionCodeError,
  IpmiTimeoutError,
  type IpmiClientOptions,
} from '../../../bmc-drivers/ipmi/index.js';
import {
  connectRedfish,
  getBootDevice,
  getPowerState,
  setBootDevice,
  setPowerState,
  type RedfishSystem,
} from '../../../bmc-drivers/redfish/index.js';
import { seededRandom } from '../../../sim/faults/index.js';
import { SimFleetStartError, startSimFleet, type SimFleet } from '../../../sim/fleet-runner.js';
import { createFleet, type SimManifestHost } from '../../../sim/host/index.js';

const credentials = { username: 'admin', password: 'password' };
let sim: SimFleet;
const clients: IpmiClient[] = [];
const systems: RedfishSystem[] = [];

beforeAll(async () => {
  sim = await startSimFleet({ fleet: createFleet({ count: 3, seed: 7 }), credentials, random: seededRandom(1) });
});

afterEach(async () => {
  await putFaults('faults', {});
  for (const host of sim.fleet.hosts) await putFaults(`hosts/${host.name}/faults`, {});
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(systems.splice(0).map((s) => s.client.close()));
});

afterAll(async () => {
  await sim.close();
});

function entry(index: number): SimManifestHost {
  const host = sim.manifest.hosts[index];
  if (host === undefined) throw new Error(`no manifest entry ${index}`);
  return host;
}

/** An IpmiClient for a manifest entry, from its `ipmi://host:port` address alone. */
function ipmiClient(host: SimManifestHost, options: Partial<IpmiClientOptions> = {}): IpmiClient {
  const address = new URL(host.ipmi.address);
  const client = new IpmiClient({
    host: address.hostname,
    port: Number(address.port),
    username: host.ipmi.username,
    password: host.ipmi.password,
    ...options,
    timing: { retransmitMs: 50, maxRetransmitMs: 100, deadlineMs: 2000, ...options.timing },
  });
  clients.push(client);
  return client;
}

async function redfishSystem(host: SimManifestHost): Promise<RedfishSystem> {
  const system = await connectRedfish(
    host.redfish.address,
    { username: host.redfish.username, password: host.redfish.password },
    { timeoutMs: 2000 },
  );
  systems.push(system);
  return system;
}

async function putFaults(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${sim.redfish.url}/sim/v1/${path}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('startSimFleet', () => {
  it('gives each host its own IPMI port and credentials, and the manifest names the ports really bound', () => {
    const ports = sim.ipmi.map((server) => server.port);
    expect(new Set(ports).size).toBe(3);
    expect(ports.every((p) => p > 0)).toBe(true);
    expect(sim.manifest.hosts.map((h) => h.ipmi.address)).toEqual(ports.map((p) => `ipmi://127.0.0.1:${p}`));
    expect(new Set(sim.manifest.hosts.map((h) => h.ipmi.password)).size).toBe(3);
    expect(entry(1).redfish.address).toBe(`redfish+${sim.redfish.url}/redfish/v1/Systems/sim-1`);
  });

  it('shows an IPMI power-on and power-off over Redfish, and a Redfish power change over IPMI', async () => {
    const ipmi = ipmiClient(entry(0));
    const redfish = await redfishSystem(entry(0));
    await ipmi.chassisControl('on');
    expect(await getPowerState(redfish)).toBe('power on');
    await ipmi.chassisControl('off');
    expect(await getPowerState(redfish)).toBe('power off');
    await setPowerState(redfish, 'power on');
    expect(await ipmi.getPowerState()).toBe('on');
    // The other hosts share the Redfish endpoint but not the machine.
    expect(await ipmiClient(entry(1)).getPowerState()).toBe('off');
  });

  it('reads a boot device set over IPMI over Redfish, and one set over Redfish over IPMI', async () => {
    const ipmi = ipmiClient(entry(1));
    const redfish = await redfishSystem(entry(1));
    await ipmi.setBootDevice({ device: 'pxe', persistent: true, mode: 'efi' });
    expect(await getBootDevice(redfish)).toEqual({ device: 'pxe', persistent: true, mode: 'uefi' });
    await setBootDevice(redfish, 'cdrom', { persistent: false, mode: 'bios' });
    expect(await ipmi.getBootFlags()).toEqual({ valid: true, persistent: false, mode: 'legacy', device: 'cdrom' });
  });

  it("refuses one host's IPMI credentials on another host's port", async () => {
    const wrong = { ...entry(0), ipmi: { ...entry(0).ipmi, password: entry(1).ipmi.password } };
    expect(await rejection(ipmiClient(wrong).getPowerState())).toBeInstanceOf(IpmiAuthError);
    expect(await ipmiClient(entry(0)).getPowerState()).toMatch(/^(on|off)$/);
  });

  it('drops IPMI datagrams for a host whose udpDropRate is 1, and only for that host', async () => {
    await putFaults('hosts/sim-2/faults', { udpDropRate: 1 });
    const error = await rejection(ipmiClient(entry(2), { timing: { deadlineMs: 400 } }).getPowerState());
    expect(error).toBeInstanceOf(IpmiTimeoutError);
    expect(sim.ipmi[2]?.stats.dropped.fault).toBeGreaterThan(0);
    expect(await ipmiClient(entry(1)).getPowerState()).toMatch(/^(on|off)$/);
  });

  it('leaves a hung host silent over IPMI, as over Redfish', async () => {
    await putFaults('hosts/sim-2/faults', { hang: true });
    expect(await rejection(ipmiClient(entry(2), { timing: { deadlineMs: 300 } }).getPowerState())).toBeInstanceOf(
      IpmiTimeoutError,
    );
  });

  it('answers an error-rate fault with completion code C0h (503) or FFh (500)', async () => {
    const client = ipmiClient(entry(2));
    await putFaults('hosts/sim-2/faults', { errorRate: 1, errorStatus: 503 });
    expect(await rejection(client.getPowerState())).toMatchObject({ code: 0xc0, command: 'Get Chassis Status' });
    await putFaults('faults', { errorRate: 1, errorStatus: 500 });
    await putFaults('hosts/sim-2/faults', {});
    const error = await rejection(client.chassisControl('on'));
    expect(error).toBeInstanceOf(IpmiCompletionCodeError);
    expect(error).toMatchObject({ code: 0xff });
    expect(sim.fleet.get('sim-2')?.power).toBe('Off');
  });

  it('refuses every IPMI session while the fleet-wide refuseAuth fault is on', async () => {
    await putFaults('faults', { refuseAuth: true });
    const error = await rejection(ipmiClient(entry(0)).getPowerState());
    expect(error).toBeInstanceOf(IpmiAuthError);
    expect((error as IpmiAuthError).rmcpStatus).toBe(0x0d);
    await putFaults('faults', {});
    expect(await ipmiClient(entry(0)).getPowerState()).toMatch(/^(on|off)$/);
  });

  it('delays IPMI answers by the latency fault', async () => {
    const client = ipmiClient(entry(0), { timing: { retransmitMs: 1000 } });
    await client.getPowerState();
    await putFaults('hosts/sim-0/faults', { latencyMs: 120 });
    const started = Date.now();
    await client.getPowerState();
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('closes everything it started when a host port is taken, and says which host', async () => {
    const squatter: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(0, '127.0.0.1', resolve));
    try {
      const taken = squatter.address().port;
      const error = await rejection(startSimFleet({ fleet: createFleet({ count: 1 }), ipmiBasePort: taken }));
      expect(error).toBeInstanceOf(SimFleetStartError);
      expect(error).toMatchObject({ hostName: 'sim-0' });
      expect(String(error)).toContain('EADDRINUSE');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('refuses a base port that would run past 65535', async () => {
    await expect(startSimFleet({ fleet: createFleet({ count: 3 }), ipmiBasePort: 65534 })).rejects.toThrow(RangeError);
  });
});
