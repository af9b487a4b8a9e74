import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connectRedfish,
  getPowerState,
  RedfishConnectionError,
  setPowerState,
  type RedfishSystem,
} from '../../../../bmc-drivers/redfish/index.js';
import { createFleet, type Fleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';

const credentials = { username: 'admin', password: 'keep-alive-pw' };
const REQUEST_LINE = /^(GET|HEAD|POST|PUT|PATCH|DELETE) /;

/**
 * A BMC's connection handling in front of the sim's Redfish service: it
 * closes connections idle longer than `idleMs`, as a BMC's keep-alive
 * timeout does, and can close a kept connection at the moment the next
 * request arrives on it, the race a keep-alive timeout makes with a client
 * that reuses the connection.
 */
interface ClosingBmc {
  url: string;
  /** Connections the clients opened. */
  connections: number;
  /** Requests by method, including those dropped. */
  requests: string[];
  /** Whether to close the connection a request just arrived on, unanswered. */
  drop: (method: string, reused: boolean) => boolean;
  close(): Promise<void>;
}

async function startClosingBmc(upstreamPort: number, idleMs: number): Promise<ClosingBmc> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    bmc.connections += 1;
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let served = 0;
    let idle: NodeJS.Timeout | undefined;
    const closeBoth = (): void => {
      clearTimeout(idle);
      client.destroy();
      upstream.destroy();
    };
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(closeBoth, idleMs);
    };
    client.on('data', (chunk: Buffer) => {
      const method = REQUEST_LINE.exec(chunk.toString('latin1'))?.[1];
      if (method !== undefined) {
        bmc.requests.push(method);
        served += 1;
        if (bmc.drop(method, served > 1)) {
          closeBoth();
          return;
        }
      }
      touch();
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      touch();
      client.write(chunk);
    });
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    touch();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bmc: ClosingBmc = {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: 0,
    requests: [],
    drop: () => false,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return bmc;
}

let fleet: Fleet;
let sim: RedfishSim;
let bmc: ClosingBmc;
const opened: RedfishSystem[] = [];

async function connect(name: string): Promise<RedfishSystem> {
  const system = await connectRedfish(`redfish+${bmc.url}/redfish/v1/Systems/${name}`, credentials, {
    timeoutMs: 5000,
  });
  opened.push(system);
  return system;
}

/** Closes the next kept connection a request arrives on; returns how many were closed so far. */
function closeNextReused(): () => number {
  let dropped = 0;
  bmc.drop = (_method, reused) => {
    if (!reused || dropped > 0) return false;
    dropped += 1;
    return true;
  };
  return () => dropped;
}

function logins(): number {
  return sim.sessions.list().length;
}

beforeAll(async () => {
  fleet = createFleet({ count: 12, seed: 11 });
  sim = await startRedfishSim({ fleet, credentials });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.client.close()));
  sim.sessions.expireAll();
  await bmc.close();
});

afterAll(async () => {
  await sim.close();
});

describe('Redfish connections a BMC closes', () => {
  it('reads the power state on a fresh connection when the BMC closed the kept one under the request', async () => {
    bmc = await startClosingBmc(sim.port, 60_000);
    const system = await connect('sim-0');
    const before = bmc.connections;
    const dropped = closeNextReused();
    expect(await getPowerState(system)).toBe('power off');
    expect(dropped()).toBe(1);
    expect(bmc.connections).toBe(before + 1);
    expect(logins()).toBe(1);
  });

  it('logs in again once when the BMC expired the session as well as the connection', async () => {
    bmc = await startClosingBmc(sim.port, 60_000);
    const system = await connect('sim-1');
    sim.sessions.expireAll();
    const dropped = closeNextReused();
    expect(await getPowerState(system)).toBe('power off');
    expect(dropped()).toBe(1);
    expect(logins()).toBe(1);
    expect(bmc.requests.filter((m) => m === 'POST')).toHaveLength(2);
  });

  it('does not send a power action again when the BMC closed the connection under it', async () => {
    bmc = await startClosingBmc(sim.port, 60_000);
    const system = await connect('sim-2');
    const posts = (): number => bmc.requests.filter((m) => m === 'POST').length;
    const before = posts();
    bmc.drop = (method, reused) => method === 'POST' && reused;
    await expect(setPowerState(system, 'power on')).rejects.toBeInstanceOf(RedfishConnectionError);
    expect(posts()).toBe(before + 1);
    expect(fleet.get('sim-2')?.power).toBe('Off');
  });

  it('gives up after one fresh connection when that one is closed too', async () => {
    bmc = await startClosingBmc(sim.port, 60_000);
    const system = await connect('sim-3');
    const sent = bmc.requests.length;
    bmc.drop = () => true;
    await expect(getPowerState(system)).rejects.toBeInstanceOf(RedfishConnectionError);
    expect(bmc.requests.length - sent).toBe(2);
  });

  it('keeps the connections of one BMC service open across its keep-alive timeout when its nodes are read in turn', async () => {
    // Eight nodes read one after another, each again only after the
    // service's idle timeout: a pool per node would find its connection
    // closed at every read, as a power sync pass longer than the timeout did.
    bmc = await startClosingBmc(sim.port, 150);
    const systems = await Promise.all(Array.from({ length: 8 }, (_, i) => connect(`sim-${i + 4}`)));
    const before = bmc.connections;
    for (let round = 0; round < 3; round++) {
      for (const system of systems) {
        expect(await getPowerState(system)).toBe('power off');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    expect(bmc.connections - before).toBeLessThanOrEqual(1);
    expect(logins()).toBe(8);
  });
});
