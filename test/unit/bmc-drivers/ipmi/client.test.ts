// IpmiClient against the simulated BMC over real UDP on 127.0.0.1.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IpmiAuthError,
  IpmiClient,
  IpmiCompletionCodeError,
  IpmiError,
  IpmiProtocolError,
  IpmiTimeoutError,
  type IpmiClientOptions,
} from '../../../../bmc-drivers/ipmi/index.js';
import { IpmiSimServer, type IpmiSimOptions } from '../../../../sim/ipmi/index.js';
import { MemoryTarget } from '../../sim/ipmi/memory-target.js';

const PASSWORD = 'Sup3r-s3cret';
const clients: IpmiClient[] = [];
const sims: IpmiSimServer[] = [];

afterEach(async () => {
  // Clients first, so their Close Session is answered rather than waited out.
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

async function startSim(options: Partial<IpmiSimOptions> = {}): Promise<{ sim: IpmiSimServer; target: MemoryTarget }> {
  const target = new MemoryTarget();
  const sim = await IpmiSimServer.start({ target, username: 'admin', password: PASSWORD, ...options });
  sims.push(sim);
  return { sim, target };
}

function client(port: number, options: Partial<IpmiClientOptions> = {}): IpmiClient {
  const c = new IpmiClient({
    host: '127.0.0.1',
    port,
    username: 'admin',
    password: PASSWORD,
    ...options,
    timing: { retransmitMs: 100, maxRetransmitMs: 400, deadlineMs: 3000, ...options.timing },
  });
  clients.push(c);
  return c;
}

async function freePort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe.each([3, 17] as const)('with cipher suite %i', (cipherSuite) => {
  it('reads, sets and cycles power', async () => {
    const { sim, target } = await startSim();
    const c = client(sim.port, { cipherSuite });
    expect(await c.getPowerState()).toBe('off');
    await c.chassisControl('on');
    expect(await c.getPowerState()).toBe('on');
    await c.chassisControl('cycle');
    await c.chassisControl('off');
    expect(await c.getPowerState()).toBe('off');
    expect(target.actions).toEqual(['on', 'cycle', 'off']);
  });

  it('sets and reads the boot device with EFI and persistence', async () => {
    const { sim, target } = await startSim();
    const c = client(sim.port, { cipherSuite });
    await c.setBootDevice({ device: 'pxe', persistent: true, mode: 'efi' });
    expect(target.bootFlags).toEqual({ valid: true, persistent: true, mode: 'efi', device: 'pxe' });
    expect(await c.getBootFlags()).toEqual({ valid: true, persistent: true, mode: 'efi', device: 'pxe' });
    await c.setBootDevice({ device: 'disk', persistent: false, mode: 'legacy' });
    expect(await c.getBootFlags()).toEqual({ valid: true, persistent: false, mode: 'legacy', device: 'disk' });
  });

  it('refuses a wrong password with IpmiAuthError that does not contain it', async () => {
    const { sim } = await startSim();
    const wrong = 'wrong-Passw0rd';
    const error = await rejection(client(sim.port, { cipherSuite, password: wrong }).getPowerState());
    expect(error).toBeInstanceOf(IpmiAuthError);
    expect(String(error)).not.toContain(wrong);
    expect(String(error)).not.toContain(PASSWORD);
  });
});

describe('sessions', () => {
  it('reuses one session for several calls', async () => {
    const { sim } = await startSim();
    const c = client(sim.port);
    await c.getDeviceId();
    await c.getPowerState();
    await c.chassisControl('on');
    await c.getBootFlags();
    expect(c.stats.sessionsEstablished).toBe(1);
    expect(sim.stats.sessionsOpened).toBe(1);
  });

  it('serialises concurrent calls over one session', async () => {
    const { sim } = await startSim();
    const c = client(sim.port);
    const results = await Promise.all([
      c.getPowerState(),
      c.getDeviceId(),
      c.getPowerState(),
      c.getBootFlags(),
      c.getPowerState(),
    ]);
    expect(results[0]).toBe('off');
    expect(sim.stats.sessionsOpened).toBe(1);
  });

  it('re-establishes the session when the BMC forgets it', async () => {
    const { sim } = await startSim();
    const c = client(sim.port, { timing: { attemptsPerSession: 2 } });
    await c.getPowerState();
    sim.dropSessions();
    expect(await c.getPowerState()).toBe('off');
    expect(sim.stats.sessionsOpened).toBe(2);
    expect(sim.stats.dropped['unknown-session']).toBeGreaterThanOrEqual(2);
  });

  it('replaces a session left idle longer than sessionIdleMs', async () => {
    const { sim } = await startSim();
    const c = client(sim.port, { timing: { sessionIdleMs: 50 } });
    await c.getPowerState();
    await new Promise((resolve) => setTimeout(resolve, 80));
    await c.getPowerState();
    expect(sim.stats.sessionsOpened).toBe(2);
  });

  it('closes the session on close() and refuses calls afterwards', async () => {
    const { sim } = await startSim();
    const c = client(sim.port);
    await c.getPowerState();
    expect(sim.activeSessions).toBe(1);
    await c.close();
    expect(sim.activeSessions).toBe(0);
    await expect(c.getPowerState()).rejects.toBeInstanceOf(IpmiError);
  });

  it('raises the session to administrator, so a user-level session cannot control power', async () => {
    const { sim } = await startSim();
    const error = await rejection(client(sim.port, { privilege: 'user' }).chassisControl('on'));
    expect(error).toBeInstanceOf(IpmiCompletionCodeError);
    expect((error as IpmiCompletionCodeError).code).toBe(0xd4);
  });

  it('uses the BMC key Kg for the session keys, and fails RAKP 4 when it differs', async () => {
    const kg = Buffer.alloc(20, 0x4b);
    const { sim } = await startSim({ kg });
    expect(await client(sim.port, { kg }).getPowerState()).toBe('off');
    expect(await rejection(client(sim.port, { kg: Buffer.alloc(20, 0x4c) }).getPowerState())).toBeInstanceOf(
      IpmiAuthError,
    );
  });
});

describe('faults', () => {
  it('retransmits through dropped packets', async () => {
    let n = 0;
    // Drops every other datagram the sim receives.
    const { sim } = await startSim({ faults: { dropRate: 0.5 }, random: () => (n++ % 2 === 0 ? 0 : 1) });
    const c = client(sim.port, { timing: { retransmitMs: 50, maxRetransmitMs: 100, deadlineMs: 5000 } });
    await c.chassisControl('on');
    expect(await c.getPowerState()).toBe('on');
    expect(sim.stats.dropped.fault).toBeGreaterThan(0);
    expect(c.stats.retransmissions).toBeGreaterThan(0);
  });

  it('times out within the deadline on a port where nothing answers', async () => {
    const port = await freePort();
    const c = client(port, { timing: { retransmitMs: 100, deadlineMs: 600 } });
    const started = Date.now();
    const error = await rejection(c.getPowerState());
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(IpmiTimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(1000);
    expect(String(error)).not.toContain(PASSWORD);
  });

  it('waits out latency below the retransmission interval', async () => {
    const { sim } = await startSim({ faults: { latencyMs: 40 } });
    expect(await client(sim.port, { timing: { retransmitMs: 500 } }).getPowerState()).toBe('off');
  });

  it('reports an injected completion code as IpmiCompletionCodeError', async () => {
    const { sim } = await startSim({ faults: { completionCode: 0xc0 } });
    const error = await rejection(client(sim.port).getPowerState());
    expect(error).toBeInstanceOf(IpmiCompletionCodeError);
    expect(error).toMatchObject({ code: 0xc0, command: 'Get Chassis Status' });
  });

  it('reports a refused session as IpmiAuthError', async () => {
    const { sim } = await startSim({ faults: { refuseAuth: true } });
    const error = await rejection(client(sim.port).getPowerState());
    expect(error).toBeInstanceOf(IpmiAuthError);
    expect((error as IpmiAuthError).rmcpStatus).toBe(0x0d);
  });
});

describe('cipher suite 0', () => {
  it('is refused unless explicitly allowed', () => {
    expect(() => new IpmiClient({ host: '127.0.0.1', username: 'a', password: 'b', cipherSuite: 0 })).toThrow(
      IpmiProtocolError,
    );
  });

  it('works when both sides allow it', async () => {
    const { sim } = await startSim({ cipherSuites: [0] });
    expect(await client(sim.port, { cipherSuite: 0, allowCipherSuiteZero: true }).getPowerState()).toBe('off');
  });

  it('is refused by a BMC that does not offer it', async () => {
    const { sim } = await startSim();
    const error = await rejection(client(sim.port, { cipherSuite: 0, allowCipherSuiteZero: true }).getPowerState());
    expect(error).toBeInstanceOf(IpmiProtocolError);
    expect(String(error)).toContain('no cipher suite match');
  });
});

describe('session-less queries', () => {
  it('lists cipher suites, reads channel capabilities and answers a presence ping', async () => {
    const { sim } = await startSim();
    const c = client(sim.port);
    expect((await c.getCipherSuites()).map((s) => s.id)).toEqual([3, 17]);
    expect(await c.getChannelAuthCapabilities()).toMatchObject({ supportsIpmi20: true, supportsIpmi15: false });
    expect(await c.ping()).toMatchObject({ ipmiSupported: true });
    expect(sim.stats.sessionsOpened).toBe(0);
  });
});
