import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootBackend, ServedEvent } from '../../../../pxe/backend.js';
import {
  startTftpServer,
  TftpConfigError,
  type TftpEvent,
  type TftpServer,
  type TftpServerOptions,
} from '../../../../pxe/tftp/index.js';
import { decodePacket, encodePacket } from '../../../../pxe/tftp/packet.js';
import { sendRaw, tftpGet } from './client.js';

type TransferEvent = Extract<TftpEvent, { event: 'transfer-complete' | 'transfer-failed' }>;

let base: string;
let root: string;
const files: Record<string, Buffer> = {};
const events: TftpEvent[] = [];
let server: TftpServer;
/** Fast retransmission so loss and vanishing clients resolve in well under a second. */
const fast = { retransmitMs: 60, maxRetries: 3, maxRetransmitMs: 400 };

/**
 * Where transfers of files and bytes run: every test below runs on both (a
 * resolver's stream runs on the server's own thread on either).
 */
const dataPaths = [
  { name: 'native data path', nativeTransfers: true },
  { name: 'worker threads', nativeTransfers: false },
];
let nativeTransfers = true;

async function start(extra: Partial<TftpServerOptions> = {}): Promise<TftpServer> {
  return startTftpServer({
    root,
    host: '127.0.0.1',
    port: 0,
    observer: (e) => events.push(e),
    nativeTransfers,
    ...fast,
    ...extra,
  });
}

/** The server's event for the transfer from `localPort`, among those after index `since` (an earlier transfer may have had the same port). */
async function eventFor(localPort: number, since = 0, timeoutMs = 3000): Promise<TransferEvent> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = events
      .slice(since)
      .find((e): e is TransferEvent => e.event !== 'record-failed' && e.clientPort === localPort);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no server event for client port ${localPort} within ${timeoutMs} ms`);
}

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'anvil-tftp-server-'));
  root = path.join(base, 'root');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  files['medium.bin'] = randomBytes(1_500_123);
  files['exact.bin'] = randomBytes(512 * 64);
  files['small.txt'] = Buffer.from('hello, pxe\n');
  // 8-byte blocks: more than 65535 of them, so block numbers wrap.
  files['wrap.bin'] = randomBytes(8 * 70_001 + 3);
  files['sub/nested.bin'] = randomBytes(4000);
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(root, name), content);
  await writeFile(path.join(base, 'secret'), 'outside the root');
  await symlink(path.join(base, 'secret'), path.join(root, 'escape'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe.each(dataPaths)('TFTP server, transfers on its $name', (dataPath) => {
  beforeAll(async () => {
    nativeTransfers = dataPath.nativeTransfers;
    server = await start();
  });

  afterAll(async () => {
    await server.close();
  });

  describe('serving files over UDP', () => {
    it.each([512, 1468, 65464])('serves a file byte-identical at blksize %i, with tsize', async (blksize) => {
      const since = events.length;
      const result = await tftpGet({ port: server.port, file: 'medium.bin', options: { blksize, tsize: 0 } });
      expect(result.error).toBeNull();
      expect(result.oack).toEqual({ blksize: String(blksize), tsize: String(files['medium.bin']?.length) });
      expect(result.data.equals(files['medium.bin'] as Buffer)).toBe(true);
      const event = await eventFor(result.localPort, since);
      expect(event).toMatchObject({
        event: 'transfer-complete',
        file: 'medium.bin',
        client: '127.0.0.1',
        bytes: 1_500_123,
        blksize,
        windowsize: 1,
      });
    });

    it.each([4, 8])('serves a file byte-identical with windowsize %i (RFC 7440)', async (windowsize) => {
      const since = events.length;
      const result = await tftpGet({ port: server.port, file: 'medium.bin', options: { blksize: 1468, windowsize } });
      expect(result.oack).toEqual({ blksize: '1468', windowsize: String(windowsize) });
      expect(result.data.equals(files['medium.bin'] as Buffer)).toBe(true);
      expect(await eventFor(result.localPort, since)).toMatchObject({ event: 'transfer-complete', windowsize });
    });

    it('answers a plain RFC 1350 request with DATA 1 from a new port (its TID), no OACK', async () => {
      const result = await tftpGet({ port: server.port, file: 'small.txt' });
      expect(result.oack).toBeNull();
      expect(result.serverPort).not.toBe(server.port);
      expect(result.data.toString()).toBe('hello, pxe\n');
    });

    it('ends a file of whole blocks with an empty DATA block', async () => {
      const result = await tftpGet({ port: server.port, file: 'exact.bin' });
      expect(result.dataPackets).toBe(65);
      expect(result.data.equals(files['exact.bin'] as Buffer)).toBe(true);
    });

    // 65,537 DATA packets and their ACKs: under a second alone, several on a busy machine.
    it('wraps block numbers past 65535 and still delivers every byte', { timeout: 30_000 }, async () => {
      const result = await tftpGet({ port: server.port, file: 'wrap.bin', options: { blksize: 8, windowsize: 16 } });
      expect(result.data.equals(files['wrap.bin'] as Buffer)).toBe(true);
    });

    it('serves absolute and nested names from inside the root', async () => {
      const result = await tftpGet({ port: server.port, file: '/sub/nested.bin' });
      expect(result.data.equals(files['sub/nested.bin'] as Buffer)).toBe(true);
    });

    it('serves 50 concurrent transfers (to 10 client addresses, within the per-client bound)', async () => {
      const since = events.length;
      const sizes = [512, 1468, 8192, 65464];
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          tftpGet({
            port: server.port,
            localAddress: `127.0.0.${(i % 10) + 1}`,
            file: i % 2 ? 'medium.bin' : 'exact.bin',
            options: { blksize: sizes[i % 4] as number, windowsize: (i % 3) + 1 },
          }),
        ),
      );
      results.forEach((result, i) =>
        expect(result.data.equals(files[i % 2 ? 'medium.bin' : 'exact.bin'] as Buffer)).toBe(true),
      );
      // Each answered from a socket of its own, not the listening port. Not all 50 ports distinct: once a
      // transfer ended and closed its socket, the kernel may hand its port to one that started later.
      for (const result of results) expect(result.serverPort).not.toBe(server.port);
      for (const result of results)
        expect(await eventFor(result.localPort, since)).toMatchObject({ event: 'transfer-complete' });
    });
  });

  describe('loss and vanishing clients', () => {
    it('recovers a lost ACK by retransmitting the block (lock-step)', async () => {
      const since = events.length;
      const result = await tftpGet({
        port: server.port,
        file: 'medium.bin',
        dropAck: (block, nth) => (block === 10 || block === 500) && nth === 1,
      });
      expect(result.data.equals(files['medium.bin'] as Buffer)).toBe(true);
      expect(result.outOfOrder).toBeGreaterThanOrEqual(2);
      expect((await eventFor(result.localPort, since)).retransmits).toBeGreaterThanOrEqual(2);
    });

    it('recovers a lost ACK of the OACK and a lost window ACK (windowsize 4)', async () => {
      const since = events.length;
      const result = await tftpGet({
        port: server.port,
        file: 'medium.bin',
        options: { blksize: 1468, windowsize: 4 },
        dropAck: (block, nth) => (block === 0 || block === 40) && nth === 1,
      });
      expect(result.data.equals(files['medium.bin'] as Buffer)).toBe(true);
      expect((await eventFor(result.localPort, since)).retransmits).toBeGreaterThanOrEqual(2);
    });

    it('gives up on a client that vanishes, after its bounded retransmissions', async () => {
      const since = events.length;
      const started = Date.now();
      const result = await tftpGet({ port: server.port, file: 'medium.bin', vanishAfter: 5 });
      expect(result.vanished).toBe(true);
      const event = await eventFor(result.localPort, since);
      expect(event).toMatchObject({
        event: 'transfer-failed',
        reason: 'client-timeout',
        retransmits: 3,
        bytes: 4 * 512,
      });
      // 60 + 120 + 240 + 400 ms of back-off, capped at 400.
      expect(Date.now() - started).toBeGreaterThanOrEqual(800);
      expect(Date.now() - started).toBeLessThan(2500);
    });

    it('ends a transfer that runs past its per-transfer timeout', async () => {
      const since = events.length;
      const slowServer = await start({ transferTimeoutMs: 300 });
      try {
        const result = await tftpGet({ port: slowServer.port, file: 'medium.bin', ackDelayMs: 20 });
        expect(result.error).toEqual({ code: 0, message: 'transfer exceeded 300 ms' });
        expect(await eventFor(result.localPort, since)).toMatchObject({
          event: 'transfer-failed',
          reason: 'transfer-timeout',
        });
      } finally {
        await slowServer.close();
      }
    });

    it('stops a transfer when the client sends ERROR (here: refusing the OACK)', async () => {
      const since = events.length;
      const socket = createSocket('udp4');
      const oack = new Promise<number>((resolve) => socket.once('message', (_msg, rinfo) => resolve(rinfo.port)));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
      socket.send(
        encodePacket({
          op: 'RRQ',
          filename: 'medium.bin',
          mode: 'octet',
          options: [{ name: 'blksize', value: '1468' }],
        }),
        server.port,
        '127.0.0.1',
      );
      const tid = await oack;
      socket.send(encodePacket({ op: 'ERROR', code: 8, message: 'no thanks' }), tid, '127.0.0.1');
      const event = await eventFor(socket.address().port, since);
      socket.close();
      expect(event).toMatchObject({ event: 'transfer-failed', reason: 'client-error', retransmits: 0 });
    });
  });

  describe('refusals', () => {
    it.each([
      ['../../etc/passwd', 2, 'traversal'],
      ['sub/../../secret', 2, 'traversal'],
      ['/etc/passwd', 1, 'not-found'],
      ['escape', 2, 'outside-root'],
      ['sub', 1, 'not-a-file'],
      ['missing.bin', 1, 'not-found'],
    ])('refuses %j with ERROR %i from a transfer port', async (file, code, reason) => {
      const since = events.length;
      const result = await tftpGet({ port: server.port, file });
      expect(result.error?.code).toBe(code);
      expect(result.data.length).toBe(0);
      expect(result.serverPort).not.toBe(server.port);
      expect(await eventFor(result.localPort, since)).toMatchObject({ event: 'transfer-failed', reason, bytes: 0 });
    });

    it('refuses a write request: the server is read-only', async () => {
      const result = await tftpGet({ port: server.port, file: 'uploaded.bin', op: 'WRQ' });
      expect(result.error).toEqual({ code: 2, message: 'TFTP server is read-only' });
      await expect(stat(path.join(root, 'uploaded.bin'))).rejects.toThrow(/ENOENT/);
    });

    it('refuses netascii (and any mode but octet) with ERROR 4', async () => {
      for (const mode of ['netascii', 'mail', 'banana']) {
        const result = await tftpGet({ port: server.port, file: 'small.txt', mode });
        expect(result.error).toEqual({ code: 4, message: 'Only octet mode is served' });
      }
    });

    it('answers a packet from a foreign port during a transfer with ERROR 5, and the transfer completes', async () => {
      const since = events.length;
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
      const firstData = new Promise<number>((resolve) => socket.once('message', (_msg, rinfo) => resolve(rinfo.port)));
      socket.send(
        encodePacket({ op: 'RRQ', filename: 'small.txt', mode: 'octet', options: [] }),
        server.port,
        '127.0.0.1',
      );
      const tid = await firstData;
      const replies = await sendRaw(tid, encodePacket({ op: 'ACK', block: 1 }), 150);
      expect(replies.map((r) => decodePacket(r.bytes))).toContainEqual({
        op: 'ERROR',
        code: 5,
        message: 'Unknown transfer ID',
      });
      socket.send(encodePacket({ op: 'ACK', block: 1 }), tid, '127.0.0.1');
      const event = await eventFor(socket.address().port, since);
      socket.close();
      expect(event).toMatchObject({ event: 'transfer-complete', bytes: 11 });
    });

    it('answers a retransmitted RRQ with the transfer already under way, not a second one', async () => {
      const since = events.length;
      const socket = createSocket('udp4');
      const ports = new Set<number>();
      socket.on('message', (_msg, rinfo) => ports.add(rinfo.port));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
      const rrq = encodePacket({ op: 'RRQ', filename: 'medium.bin', mode: 'octet', options: [] });
      socket.send(rrq, server.port, '127.0.0.1');
      socket.send(rrq, server.port, '127.0.0.1');
      socket.send(rrq, server.port, '127.0.0.1');
      const localPort = socket.address().port;
      const event = await eventFor(localPort, since);
      socket.close();
      expect(event).toMatchObject({ event: 'transfer-failed', reason: 'client-timeout' });
      expect(ports.size).toBe(1);
      expect(events.filter((e) => e.event !== 'record-failed' && e.clientPort === localPort)).toHaveLength(1);
    });

    it('refuses requests beyond maxTransfers with "Server busy"', async () => {
      const small = await start({ maxTransfers: 1 });
      try {
        const slow = tftpGet({ port: small.port, file: 'exact.bin', ackDelayMs: 5 });
        await new Promise((resolve) => setTimeout(resolve, 50));
        const refused = await tftpGet({ port: small.port, file: 'small.txt' });
        expect(refused.error).toEqual({ code: 0, message: 'Server busy' });
        expect((await slow).data.equals(files['exact.bin'] as Buffer)).toBe(true);
      } finally {
        await small.close();
      }
    });

    it('refuses to start without a root directory', async () => {
      await expect(startTftpServer({ root: path.join(base, 'nope'), host: '127.0.0.1', port: 0 })).rejects.toThrow(
        TftpConfigError,
      );
      await expect(startTftpServer({ root: path.join(root, 'small.txt'), host: '127.0.0.1', port: 0 })).rejects.toThrow(
        /not a directory/,
      );
    });
  });

  describe('junk never stops the server', () => {
    const near = fc
      .tuple(
        fc.constantFrom(
          ...[1, 2, 3, 4, 5, 6].map((op) =>
            encodePacket(
              op === 3
                ? { op: 'DATA', block: 1, data: Buffer.from('x') }
                : op === 4
                  ? { op: 'ACK', block: 0 }
                  : op === 5
                    ? { op: 'ERROR', code: 0, message: 'e' }
                    : op === 6
                      ? { op: 'OACK', options: [] }
                      : {
                          op: op === 1 ? 'RRQ' : 'WRQ',
                          filename: 'nope',
                          mode: 'octet',
                          options: [{ name: 'blksize', value: '9' }],
                        },
            ),
          ),
        ),
        fc.nat(),
        fc.nat(255),
      )
      .map(([wire, at, value]) => {
        const copy = Buffer.from(wire);
        copy[at % copy.length] = value;
        return copy.subarray(0, (at % copy.length) + 1);
      });
    const junk = fc.oneof(fc.uint8Array({ maxLength: 1400 }), near);

    it('keeps serving a good client after bursts of random and mangled datagrams', async () => {
      const sender = createSocket('udp4');
      await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', () => resolve()));
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(junk, { minLength: 1, maxLength: 40 }), async (burst) => {
            for (const datagram of burst) sender.send(datagram, server.port, '127.0.0.1');
            const result = await tftpGet({ port: server.port, file: 'small.txt', options: { blksize: 512 } });
            expect(result.data.toString()).toBe('hello, pxe\n');
          }),
          { numRuns: 25 },
        );
      } finally {
        sender.close();
      }
    });

    it('keeps a transfer going while junk hits its port from the client itself', async () => {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
      // By block: a slow machine may see a block retransmitted.
      const chunks = new Map<number, Buffer>();
      const done = new Promise<void>((resolve) => {
        socket.on('message', (msg, rinfo) => {
          const packet = decodePacket(msg);
          if (packet.op !== 'DATA') return;
          chunks.set(packet.block, Buffer.from(packet.data));
          // A well-formed ERROR or ACK from the client is protocol, not junk: an ERROR ends its transfer (RFC 1350 §7).
          for (const datagram of fc.sample(junk, 3).filter((d) => !isProtocol(d)))
            socket.send(datagram, rinfo.port, '127.0.0.1');
          socket.send(encodePacket({ op: 'ACK', block: packet.block }), rinfo.port, '127.0.0.1');
          if (packet.data.length < 512) resolve();
        });
      });
      socket.send(
        encodePacket({ op: 'RRQ', filename: 'sub/nested.bin', mode: 'octet', options: [] }),
        server.port,
        '127.0.0.1',
      );
      await done;
      socket.close();
      const blocks = [...chunks.keys()].sort((a, b) => a - b).map((b) => chunks.get(b)!);
      expect(Buffer.concat(blocks).equals(files['sub/nested.bin'] as Buffer)).toBe(true);
    });
  });

  describe('virtual files, streaming and the backend', () => {
    it('serves generated per-host files before the root, and never asks for a traversal name', async () => {
      const asked: string[] = [];
      const virtual = await start({
        resolve: (name, client) => {
          asked.push(name);
          if (name === 'hosts/boot.ipxe') return Buffer.from(`#!ipxe\necho hello ${client.address}\n`);
          if (name === 'stream.bin')
            return { stream: Readable.from([Buffer.from('ab'), Buffer.from('cd')]), size: null };
          return null;
        },
      });
      try {
        const generated = await tftpGet({ port: virtual.port, file: '/hosts/boot.ipxe', options: { tsize: 0 } });
        expect(generated.data.toString()).toBe('#!ipxe\necho hello 127.0.0.1\n');
        expect(generated.oack).toEqual({ tsize: String(generated.data.length) });
        const streamed = await tftpGet({ port: virtual.port, file: 'stream.bin', options: { tsize: 0, blksize: 8 } });
        expect(streamed.data.toString()).toBe('abcd');
        expect(streamed.oack).toEqual({ blksize: '8' });
        const fallback = await tftpGet({ port: virtual.port, file: 'small.txt' });
        expect(fallback.data.toString()).toBe('hello, pxe\n');
        await tftpGet({ port: virtual.port, file: '../secret' });
        expect(asked).toEqual(['hosts/boot.ipxe', 'stream.bin', 'small.txt']);
      } finally {
        await virtual.close();
      }
    });

    it('answers a resolver that throws, or a stream that fails midway, with ERROR 0 and a failed event', async () => {
      const since = events.length;
      const broken = await start({
        resolve: (name) => {
          if (name === 'throws') throw new Error('database unavailable');
          if (name === 'breaks')
            return {
              stream: new Readable({
                read() {
                  this.destroy(new Error('disk gone'));
                },
              }),
              size: null,
            };
          return null;
        },
      });
      try {
        const thrown = await tftpGet({ port: broken.port, file: 'throws' });
        expect(thrown.error).toEqual({ code: 0, message: 'Internal error' });
        expect(await eventFor(thrown.localPort, since)).toMatchObject({
          reason: 'internal',
          detail: 'database unavailable',
        });
        const afterThrown = events.length;
        const failed = await tftpGet({ port: broken.port, file: 'breaks' });
        expect(failed.error?.code).toBe(0);
        expect(await eventFor(failed.localPort, afterThrown)).toMatchObject({
          event: 'transfer-failed',
          reason: 'read-error',
        });
      } finally {
        await broken.close();
      }
    });

    it('serves from a listen host given by name, the transfers binding to it as the listener does', async () => {
      const named = await start({ host: 'localhost' });
      try {
        const result = await tftpGet({ port: named.port, file: 'sub/nested.bin', host: '127.0.0.1' });
        expect(result.error).toBeNull();
        expect(result.data.equals(files['sub/nested.bin'] as Buffer)).toBe(true);
      } finally {
        await named.close();
      }
    });

    it('waits for a source slower than the client: each window goes out whole, never resent for want of blocks', async () => {
      const since = events.length;
      const content = randomBytes(40 * 1000 + 17);
      // 1000-byte chunks against 512-byte blocks: windows of 4 fall across chunks, which arrive 5 ms apart.
      const trickle = Readable.from(
        (async function* () {
          for (let at = 0; at < content.length; at += 1000) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            yield content.subarray(at, at + 1000);
          }
        })(),
      );
      const slow = await start({ resolve: () => ({ stream: trickle, size: content.length }), retransmitMs: 1000 });
      try {
        const result = await tftpGet({ port: slow.port, file: 'trickle', options: { windowsize: 4 }, retryMs: 2000 });
        expect(result.data.equals(content)).toBe(true);
        expect(await eventFor(result.localPort, since)).toMatchObject({
          event: 'transfer-complete',
          bytes: content.length,
          retransmits: 0,
        });
      } finally {
        await slow.close();
      }
    });

    it('pulls a large source only as fast as the client acknowledges (never whole in memory)', async () => {
      const since = events.length;
      const total = 64 * 1024 * 1024;
      let produced = 0;
      let received = 0;
      let maxLead = 0;
      const huge = new Readable({
        read() {
          if (produced >= total) return void this.push(null);
          const chunk = Buffer.alloc(Math.min(256 * 1024, total - produced), produced & 0xff);
          produced += chunk.length;
          maxLead = Math.max(maxLead, produced - received);
          this.push(chunk);
        },
      });
      const streaming = await start({ resolve: () => ({ stream: huge, size: total }) });
      try {
        // The client stops after 200 blocks of 65464 bytes (about 12.5 MiB of 64).
        const result = await tftpGet({
          port: streaming.port,
          file: 'huge',
          options: { blksize: 65464, windowsize: 4 },
          vanishAfter: 200,
          onData: (n) => (received = n),
        });
        expect(result.vanished).toBe(true);
        expect(await eventFor(result.localPort, since)).toMatchObject({
          event: 'transfer-failed',
          reason: 'client-timeout',
        });
        expect(produced).toBeLessThan(16 * 1024 * 1024);
        expect(maxLead).toBeLessThan(2 * 1024 * 1024);
      } finally {
        await streaming.close();
      }
    });

    it("records each completed transfer by the client's address, and nothing for a failed one", async () => {
      const served: [string, ServedEvent][] = [];
      const backend: Pick<BootBackend, 'recordServedTo'> = {
        recordServedTo: async (address, what) => void served.push([address, what]),
      };
      const recording = await start({ backend });
      try {
        await tftpGet({ port: recording.port, file: 'small.txt' });
        await tftpGet({ port: recording.port, file: 'missing.bin' });
        await tftpGet({ port: recording.port, file: '/sub/nested.bin' });
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(served).toEqual([
          ['127.0.0.1', { protocol: 'tftp', detail: 'small.txt' }],
          ['127.0.0.1', { protocol: 'tftp', detail: 'sub/nested.bin' }],
        ]);
      } finally {
        await recording.close();
      }
    });

    it('reports a backend failure as record-failed while the client still gets its file', async () => {
      const failing = await start({
        backend: { recordServedTo: async () => Promise.reject(new Error('db down')) },
      });
      try {
        const result = await tftpGet({ port: failing.port, file: 'small.txt' });
        expect(result.data.toString()).toBe('hello, pxe\n');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(events).toContainEqual({
          event: 'record-failed',
          file: 'small.txt',
          client: '127.0.0.1',
          error: new Error('db down'),
        });
      } finally {
        await failing.close();
      }
    });

    it('ends running transfers with an ERROR when closed', async () => {
      const closing = await start();
      const result = tftpGet({ port: closing.port, file: 'medium.bin', ackDelayMs: 5 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(closing.activeTransfers).toBe(1);
      await closing.close();
      expect((await result).error).toEqual({ code: 0, message: 'TFTP server shutting down' });
      expect(closing.activeTransfers).toBe(0);
    });

    it('leaks no transfer: the shared server is idle once its clients are done', async () => {
      const deadline = Date.now() + 3000;
      while (server.activeTransfers > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(server.activeTransfers).toBe(0);
    });
  });

  function isProtocol(datagram: Uint8Array): boolean {
    try {
      const op = decodePacket(Buffer.from(datagram)).op;
      return op === 'ERROR' || op === 'ACK';
    } catch {
      return false;
    }
  }
});
