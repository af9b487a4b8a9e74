// IpmiClient against a BMC that lies, over real UDP on 127.0.0.1: a proxy in front of the simulated BMC
// passes the client's datagrams on and mangles the answers (truncated, bytes flipped, replaced by random
// bytes, sent twice, or dropped), each answer its own way. Whatever the mix, a call settles within its
// deadline with a value or an IpmiError: never another error, never a hang, never an unhandled rejection.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiClient, IpmiError } from '../../../../bmc-drivers/ipmi/index.js';
import { IpmiSimServer } from '../../../../sim/ipmi/index.js';
import { fuzz, fuzzTimeout } from '../../../support/fuzz.js';
import { MemoryTarget } from '../../sim/ipmi/memory-target.js';

const PASSWORD = 'Sup3r-s3cret';
const DEADLINE_MS = 600;
/** Past the deadline, this much more is a hang: the close of a broken session waits too. */
const MARGIN_MS = 1_500;

type Mangle =
  | { kind: 'pass' }
  | { kind: 'drop' }
  | { kind: 'twice' }
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; bits: number }
  | { kind: 'random'; bytes: Uint8Array };

const mangle: fc.Arbitrary<Mangle> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'pass' as const }) },
  fc.constant({ kind: 'drop' as const }),
  fc.constant({ kind: 'twice' as const }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
);

function mangled(answer: Buffer, how: Mangle): Buffer[] {
  switch (how.kind) {
    case 'pass':
      return [answer];
    case 'drop':
      return [];
    case 'twice':
      return [answer, answer];
    case 'truncate':
      return [answer.subarray(0, how.at % answer.length)];
    case 'flip': {
      const copy = Buffer.from(answer);
      copy[how.at % copy.length]! ^= how.bits;
      return [copy];
    }
    case 'random':
      return [Buffer.from(how.bytes)];
  }
}

let sim: IpmiSimServer;
let front: Socket;
let back: Socket;
let client: RemoteInfo | null = null;
let plan: Mangle[] = [];
let answered = 0;

async function bound(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

describe('the IPMI client against a hostile BMC (fuzz)', { timeout: fuzzTimeout(20_000) }, () => {
  beforeAll(async () => {
    sim = await IpmiSimServer.start({ target: new MemoryTarget(), username: 'admin', password: PASSWORD });
    front = await bound();
    back = await bound();
    front.on('message', (datagram, from) => {
      client = from;
      back.send(datagram, sim.port, '127.0.0.1');
    });
    back.on('message', (answer) => {
      if (client === null) return;
      const how = plan.length === 0 ? { kind: 'pass' as const } : plan[answered++ % plan.length]!;
      for (const out of mangled(answer, how)) front.send(out, client.port, client.address);
    });
  });
  afterAll(async () => {
    await sim.close();
    front.close();
    back.close();
  });

  it('reads power and the boot flags: a value or an IpmiError within the deadline', async () => {
    await fuzz(
      fc.asyncProperty(fc.array(mangle, { minLength: 1, maxLength: 12 }), async (told) => {
        plan = told;
        answered = 0;
        const ipmi = new IpmiClient({
          host: '127.0.0.1',
          port: front.address().port,
          username: 'admin',
          password: PASSWORD,
          timing: { retransmitMs: 100, maxRetransmitMs: 200, deadlineMs: DEADLINE_MS },
        });
        const started = Date.now();
        try {
          await ipmi.getPowerState();
          await ipmi.getBootFlags();
        } catch (error) {
          if (!(error instanceof IpmiError)) throw error;
        } finally {
          await ipmi.close().catch((error: unknown) => {
            if (!(error instanceof IpmiError)) throw error;
          });
        }
        expect(Date.now() - started).toBeLessThan(2 * DEADLINE_MS + MARGIN_MS);
      }),
      { runs: 8 },
    );
    plan = [];
  });
});
