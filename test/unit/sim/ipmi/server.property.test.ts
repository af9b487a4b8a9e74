// Whatever arrives, the simulated BMC neither throws nor stops answering.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { IpmiClient } from '../../../../bmc-drivers/ipmi/index.js';
import { getChassisStatus } from '../../../../bmc-drivers/ipmi/commands.js';
import { sessionAttempt } from '../../../../bmc-drivers/ipmi/session.js';
import { IpmiSimServer } from '../../../../sim/ipmi/index.js';
import { fuzz, fuzzTimeout } from '../../../support/fuzz.js';
import { CONSOLE, openInProcessSession } from './in-process-console.js';
import { MemoryTarget } from './memory-target.js';

const sims: IpmiSimServer[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

function newSim(): IpmiSimServer {
  const sim = new IpmiSimServer({ target: new MemoryTarget(), username: 'admin', password: 'pw' });
  sims.push(sim);
  return sim;
}

const header = fc.constantFrom(
  [0x06, 0x00, 0xff, 0x07, 0x06],
  [0x06, 0x00, 0xff, 0x07, 0x00],
  [0x06, 0x00, 0xff, 0x06],
  [],
);
const datagrams = fc
  .tuple(header, fc.uint8Array({ maxLength: 120 }))
  .map(([head, rest]) => Buffer.concat([Buffer.from(head), Buffer.from(rest)]));

describe('the sim under garbage', { timeout: fuzzTimeout(10_000) }, () => {
  it('resolves handle() for arbitrary datagrams and counts what it drops', async () => {
    const sim = newSim();
    await fuzz(
      fc.asyncProperty(datagrams, async (datagram) => {
        await sim.handle(datagram, CONSOLE);
      }),
      { runs: 500 },
    );
    const dropped = Object.values(sim.stats.dropped).reduce((a, b) => a + b, 0);
    expect(sim.stats.received).toBeGreaterThanOrEqual(500);
    expect(dropped).toBeGreaterThan(0);
    expect(sim.stats.dropped.internal).toBe(0);
  });

  it('survives truncated and bit-flipped packets of a live session, and keeps the session', async () => {
    const sim = newSim();
    const session = await openInProcessSession(sim, 'admin', 'pw', 17);
    const valid = sessionAttempt(session, getChassisStatus(), session.nextRqSeq(), randomBytes(16)).datagram;
    await fuzz(
      // Flips start after the RMCP header: its sequence byte lies outside the integrity range (section 13.28.4).
      fc.asyncProperty(
        fc.integer({ min: 0, max: valid.length }),
        fc.integer({ min: 4, max: valid.length - 1 }),
        async (cut, flip) => {
          const damaged = Buffer.from(valid.subarray(0, cut));
          if (flip < damaged.length) damaged[flip] = (damaged[flip] ?? 0) ^ 0x20;
          expect(await sim.handle(damaged, CONSOLE)).toBeUndefined();
        },
      ),
      { runs: 300 },
    );
    expect(sim.stats.dropped.internal).toBe(0);
    expect(
      await sim.handle(
        sessionAttempt(session, getChassisStatus(), session.nextRqSeq(), randomBytes(16)).datagram,
        CONSOLE,
      ),
    ).toBeDefined();
  });

  it('still serves a client over UDP after a burst of junk', async () => {
    const sim = await IpmiSimServer.start({ target: new MemoryTarget(), username: 'admin', password: 'pw' });
    sims.push(sim);
    const junk = createSocket('udp4');
    const samples = fc.sample(datagrams, 200);
    for (const datagram of samples) junk.send(datagram, sim.port, '127.0.0.1');
    const client = new IpmiClient({
      host: '127.0.0.1',
      port: sim.port,
      username: 'admin',
      password: 'pw',
      timing: { retransmitMs: 100, deadlineMs: 3000 },
    });
    expect(await client.getPowerState()).toBe('off');
    await client.close();
    await new Promise<void>((resolve) => junk.close(() => resolve()));
    expect(sim.stats.received).toBeGreaterThan(200);
  });
});
