// Issue 12, item 8: one noisy source must not stop a rack from booting. Real
// UDP on loopback, where every 127.x.y.z is this machine's own, so each
// client address below is a distinct source to the server.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTftpServer,
  type TftpEvent,
  type TftpServer,
  type TftpServerOptions,
} from '../../../../pxe/tftp/index.js';
import { decodePacket, encodePacket, type TftpPacket } from '../../../../pxe/tftp/packet.js';
import { tftpGet } from './client.js';

type TransferEvent = Extract<TftpEvent, { event: 'transfer-complete' | 'transfer-failed' }>;

let root: string;
const files: Record<string, Buffer> = {};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'anvil-tftp-flood-'));
  files['boot.bin'] = randomBytes(200_000);
  files['small.txt'] = Buffer.from('hello, pxe\n');
  // 20 lock-step blocks: a client waiting 20 ms before each ACK takes about 400 ms.
  files['slow.bin'] = randomBytes(512 * 20 + 7);
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(root, name), content);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Running {
  server: TftpServer;
  events: TransferEvent[];
}

/** A server with `options` for the length of `body`, closed after it whatever happens. */
async function withServer(options: Partial<TftpServerOptions>, body: (running: Running) => Promise<void>) {
  const events: TransferEvent[] = [];
  const server = await startTftpServer({
    root,
    host: '127.0.0.1',
    port: 0,
    observer: (e) => {
      if (e.event !== 'record-failed') events.push(e);
    },
    ...options,
  });
  try {
    await body({ server, events });
  } finally {
    await server.close();
  }
}

/** A requester that never acknowledges anything: one RRQ from its own port, and what comes back. */
interface Silent {
  socket: Socket;
  localPort: number;
  replies: { port: number; packet: TftpPacket }[];
}

async function silentRequest(
  serverPort: number,
  localAddress: string,
  options: Record<string, string> = {},
): Promise<Silent> {
  const socket = createSocket('udp4');
  const replies: Silent['replies'] = [];
  socket.on('message', (msg, rinfo) => replies.push({ port: rinfo.port, packet: decodePacket(msg) }));
  await new Promise<void>((resolve) => socket.bind(0, localAddress, () => resolve()));
  const rrq = encodePacket({
    op: 'RRQ',
    filename: 'boot.bin',
    mode: 'octet',
    options: Object.entries(options).map(([name, value]) => ({ name, value })),
  });
  await new Promise<void>((resolve) => socket.send(rrq, serverPort, '127.0.0.1', () => resolve()));
  return { socket, localPort: socket.address().port, replies };
}

function closeAll(silent: Silent[]): void {
  for (const s of silent) s.socket.close();
}

/** Waits (bounded) until `check` holds. */
async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function eventOf(events: TransferEvent[], localPort: number): TransferEvent | undefined {
  return events.find((e) => e.clientPort === localPort);
}

describe('a bound on running transfers per client address', () => {
  it('refuses one address beyond its bound with ERROR 0 while other addresses are still served', async () => {
    await withServer({ maxTransfersPerClient: 3 }, async ({ server, events }) => {
      const silent = await Promise.all([1, 2, 3].map(() => silentRequest(server.port, '127.0.0.2')));
      try {
        await until(() => server.activeTransfers === 3, 'three silent transfers running');

        const refused = await tftpGet({ port: server.port, localAddress: '127.0.0.2', file: 'small.txt' });
        expect(refused.error).toEqual({ code: 0, message: 'Too many transfers from this client' });
        // Turned away from the listening port: no transfer socket is opened for it.
        expect(refused.serverPort).toBe(server.port);
        expect(eventOf(events, refused.localPort)).toMatchObject({
          event: 'transfer-failed',
          client: '127.0.0.2',
          reason: 'client-limit',
          detail: '3 transfers running from 127.0.0.2',
          bytes: 0,
        });

        for (const localAddress of ['127.0.0.3', '127.0.0.1']) {
          const served = await tftpGet({
            port: server.port,
            localAddress,
            file: 'boot.bin',
            options: { blksize: 1468 },
          });
          expect(served.error).toBeNull();
          expect(served.data.equals(files['boot.bin'] as Buffer)).toBe(true);
          await until(
            () => eventOf(events, served.localPort)?.event === 'transfer-complete',
            'the served transfer done',
          );
        }
        // The noisy address's transfers are still its own: nobody else's budget was touched.
        expect(server.activeTransfers).toBe(3);
      } finally {
        closeAll(silent);
      }
    });
  });

  it('holds a flood of 300 requests from one address at its bound: the server cap is never reached and others boot', async () => {
    await withServer({ maxTransfersPerClient: 4, maxTransfers: 50 }, async ({ server, events }) => {
      const flood: Silent[] = [];
      try {
        // Paced in bursts so loopback's receive buffer never drops any: every request is counted below.
        for (let burst = 0; burst < 12; burst++) {
          flood.push(...(await Promise.all(Array.from({ length: 25 }, () => silentRequest(server.port, '127.0.0.2')))));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const fromFlood = (): TransferEvent[] => events.filter((e) => e.client === '127.0.0.2');
        await until(() => fromFlood().length === 296, 'a refusal for each request beyond the bound');
        expect(fromFlood().every((e) => e.reason === 'client-limit')).toBe(true);
        expect(server.activeTransfers).toBe(4);
        await until(() => flood.every((s) => s.replies.length > 0), 'an answer to every flood request');
        const refusals = flood.filter((s) => s.replies[0]?.packet.op === 'ERROR');
        expect(refusals).toHaveLength(296);
        expect(refusals[0]?.replies[0]?.packet).toEqual({
          op: 'ERROR',
          code: 0,
          message: 'Too many transfers from this client',
        });

        const rack = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            tftpGet({
              port: server.port,
              localAddress: `127.0.1.${i + 1}`,
              file: 'boot.bin',
              options: { blksize: 1468 },
            }),
          ),
        );
        for (const host of rack) expect(host.data.equals(files['boot.bin'] as Buffer)).toBe(true);
        expect(events.filter((e) => e.reason === 'busy')).toEqual([]);
      } finally {
        closeAll(flood);
      }
    });
  });

  it('keeps the server-wide cap as the last resort: "Server busy" once many addresses fill it', async () => {
    await withServer({ maxTransfers: 4, maxTransfersPerClient: 2 }, async ({ server, events }) => {
      const silent = await Promise.all(
        ['127.0.0.2', '127.0.0.2', '127.0.0.3', '127.0.0.3'].map((a) => silentRequest(server.port, a)),
      );
      try {
        await until(() => server.activeTransfers === 4, 'four silent transfers running');
        const busy = await tftpGet({ port: server.port, localAddress: '127.0.0.4', file: 'small.txt' });
        expect(busy.error).toEqual({ code: 0, message: 'Server busy' });
        expect(eventOf(events, busy.localPort)).toMatchObject({ reason: 'busy' });
        // An address at its own bound is named as such, even with the server full.
        const noisy = await tftpGet({ port: server.port, localAddress: '127.0.0.2', file: 'small.txt' });
        expect(eventOf(events, noisy.localPort)).toMatchObject({ reason: 'client-limit' });
      } finally {
        closeAll(silent);
      }
    });
  });
});

describe('reclaiming transfers the client never acknowledged', () => {
  /**
   * Retransmissions at 100, 300, 700, 1500 and 3100 ms: given up after 4.7 s without the first-ACK deadline.
   * The tests bound a reclaim at 4 s, short of that schedule, not near the deadline: a loaded machine fires timers late.
   */
  const slowSchedule = { retransmitMs: 100, maxRetries: 5, maxRetransmitMs: 1600 };

  it('drops a transfer whose DATA 1 is never acknowledged after firstAckTimeoutMs, not its whole schedule', async () => {
    await withServer({ ...slowSchedule, firstAckTimeoutMs: 250 }, async ({ server, events }) => {
      const started = Date.now();
      const silent = await silentRequest(server.port, '127.0.0.2');
      try {
        await until(() => eventOf(events, silent.localPort) !== undefined, 'the reclaim', 4000);
        const elapsed = Date.now() - started;
        expect(eventOf(events, silent.localPort)).toMatchObject({
          event: 'transfer-failed',
          reason: 'unacknowledged',
          detail: 'no acknowledgement of the first packet within 250 ms',
          bytes: 0,
          retransmits: 1,
        });
        expect(elapsed).toBeGreaterThanOrEqual(240);
        expect(elapsed).toBeLessThan(4000);
        await until(() => silent.replies.at(-1)?.packet.op === 'ERROR', 'the ERROR telling the client');
        expect(silent.replies.map((r) => r.packet.op)).toEqual(['DATA', 'DATA', 'ERROR']);
        expect(silent.replies.at(-1)?.packet).toMatchObject({ code: 0 });
        expect(server.activeTransfers).toBe(0);
      } finally {
        silent.socket.close();
      }
    });
  });

  it('drops an unacknowledged OACK on the same deadline, even after the client negotiated a 255 s timeout', async () => {
    await withServer({ ...slowSchedule, firstAckTimeoutMs: 250 }, async ({ server, events }) => {
      const silent = await silentRequest(server.port, '127.0.0.2', { timeout: '255', blksize: '1468', tsize: '0' });
      try {
        await until(() => eventOf(events, silent.localPort) !== undefined, 'the reclaim', 4000);
        expect(eventOf(events, silent.localPort)).toMatchObject({ reason: 'unacknowledged', retransmits: 0 });
        expect(eventOf(events, silent.localPort)?.seconds).toBeLessThan(4);
        expect(silent.replies[0]?.packet.op).toBe('OACK');
      } finally {
        silent.socket.close();
      }
    });
  });

  it('gives an address at its bound its slots back once they are reclaimed', async () => {
    await withServer({ ...slowSchedule, maxTransfersPerClient: 2, firstAckTimeoutMs: 200 }, async ({ server }) => {
      const silent = await Promise.all([1, 2].map(() => silentRequest(server.port, '127.0.0.2')));
      try {
        await until(() => server.activeTransfers === 2, 'two silent transfers running');
        const refused = await tftpGet({ port: server.port, localAddress: '127.0.0.2', file: 'small.txt' });
        expect(refused.error?.message).toBe('Too many transfers from this client');
        await until(() => server.activeTransfers === 0, 'both reclaimed', 4000);
        const served = await tftpGet({ port: server.port, localAddress: '127.0.0.2', file: 'small.txt' });
        expect(served.error).toBeNull();
        expect(served.data.toString()).toBe('hello, pxe\n');
      } finally {
        closeAll(silent);
      }
    });
  });

  it('lets a first ACK lost once still arrive in time, and never applies the deadline after it', async () => {
    await withServer(
      { retransmitMs: 60, maxRetries: 3, maxRetransmitMs: 400, firstAckTimeoutMs: 150 },
      async ({ server, events }) => {
        // The ACK of DATA 1 is lost; the server's resend at 60 ms brings the client's second one.
        const lossy = await tftpGet({
          port: server.port,
          localAddress: '127.0.0.2',
          file: 'small.txt',
          dropAck: (block, nth) => block === 1 && nth === 1,
        });
        expect(lossy.data.toString()).toBe('hello, pxe\n');
        // A slow client (20 ms before each of 21 ACKs) runs well past 150 ms once it has acknowledged.
        const slow = await tftpGet({ port: server.port, localAddress: '127.0.0.3', file: 'slow.bin', ackDelayMs: 20 });
        expect(slow.data.equals(files['slow.bin'] as Buffer)).toBe(true);
        await until(() => eventOf(events, slow.localPort) !== undefined, 'the slow transfer done');
        expect(eventOf(events, slow.localPort)).toMatchObject({ event: 'transfer-complete' });
        expect(eventOf(events, slow.localPort)?.seconds).toBeGreaterThan(0.3);
      },
    );
  });

  it('gives a client that vanishes after acknowledging its full retransmission schedule (client-timeout)', async () => {
    await withServer(
      { retransmitMs: 60, maxRetries: 3, maxRetransmitMs: 400, firstAckTimeoutMs: 100 },
      async ({ server, events }) => {
        const started = Date.now();
        const result = await tftpGet({
          port: server.port,
          localAddress: '127.0.0.2',
          file: 'boot.bin',
          vanishAfter: 5,
        });
        await until(() => eventOf(events, result.localPort) !== undefined, 'the give-up');
        expect(eventOf(events, result.localPort)).toMatchObject({ reason: 'client-timeout', retransmits: 3 });
        expect(Date.now() - started).toBeGreaterThanOrEqual(800);
      },
    );
  });
});
