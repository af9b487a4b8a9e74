import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTftpServer, TftpRefusal, type TftpEvent, type TftpServer } from '../../../../pxe/tftp/index.js';
import { MAX_BLKSIZE, negotiate, type NegotiationLimits } from '../../../../pxe/tftp/options.js';
import { decodePacket, encodePacket, TftpPacketError, type TftpPacket } from '../../../../pxe/tftp/packet.js';
import { mapRequestPath } from '../../../../pxe/tftp/root.js';
import { fuzz, fuzzTimeout } from '../../../support/fuzz.js';
import { tftpGet } from './client.js';

// Whatever a host on the provisioning network sends to the TFTP server, the
// parser throws nothing but TftpPacketError, negotiation stays within the
// RFCs' bounds, and the server on a real loopback socket answers an ERROR,
// starts a transfer or says nothing (never to junk: it would be a reflector),
// and keeps serving real files afterwards.

const LIMITS: NegotiationLimits = { maxBlksize: 1468, maxWindowsize: 16, maxWindowBytes: 65536 };
const REAL = 'real.bin';
const VIRTUAL = 'generated/host.ipxe';

let base: string;
let real: Buffer;
let server: TftpServer;
const events: TftpEvent[] = [];

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'anvil-tftp-fuzz-'));
  real = randomBytes(3000);
  await writeFile(path.join(base, REAL), real);
  await writeFile(path.join(base, 'small.txt'), 'hello, pxe\n');
  server = await startTftpServer({
    root: base,
    host: '127.0.0.1',
    port: 0,
    // Transfers the fuzz starts and never acknowledges give their slot back within a fraction of a second.
    retransmitMs: 40,
    maxRetries: 2,
    maxRetransmitMs: 100,
    firstAckTimeoutMs: 250,
    transferTimeoutMs: 5000,
    maxBlksize: LIMITS.maxBlksize,
    resolve: (file) => (file === VIRTUAL ? Buffer.from('#!ipxe\nexit\n') : null),
    observer: (event) => {
      events.push(event);
      if (events.length > 1000) events.splice(0, 500);
    },
  });
});

afterAll(async () => {
  await server.close();
  await rm(base, { recursive: true, force: true });
});

/** Text without NUL (what a TFTP string can hold), as UTF-8 or as raw Latin-1 bytes. */
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ maxLength }).map((s) => s.replaceAll('\0', '')),
    fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength }),
  );

const optionName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('blksize', 'tsize', 'timeout', 'windowsize') },
  fc.constantFrom('BLKSIZE', 'Tsize', 'TimeOut', 'WindowSize', 'multicast', 'rollover', 'utimeout', ''),
  text(20),
);

const optionValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '0',
      '1',
      '7',
      '8',
      '255',
      '256',
      '512',
      '1468',
      '65464',
      '65465',
      '65535',
      '65536',
      '4294967295',
      '9999999999',
      '99999999999',
      '-1',
      '1e3',
      ' 512',
      '512 ',
      '0x200',
      '00000000512',
      '',
      '١٢',
    ),
  },
  fc.nat().map(String),
  fc.constantFrom(1000, 60_000).map((n) => '9'.repeat(n)),
  text(30),
);

const option = fc.record({ name: optionName, value: optionValue });

const filename = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(REAL, `/${REAL}`, `\\${REAL}`, `./${REAL}`, 'small.txt', VIRTUAL) },
  fc.constantFrom('../etc/passwd', '..\\..\\x', 'a/../../b', '/', '', '.', '..', 'missing.bin', 'generated'),
  text(300),
);

const mode = fc.oneof(fc.constantFrom('octet', 'OCTET', 'netascii', 'mail', ''), text(20));

/**
 * A request built field by field, so that it can be damaged the way a broken
 * client damages one: any opcode, strings without their final NUL, extra
 * NULs, an odd number of option strings, a cut anywhere, a huge tail.
 */
const request = fc
  .record({
    opcode: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(1, 2) }, fc.integer({ min: 0, max: 0xffff })),
    filename,
    mode,
    options: fc.array(option, { maxLength: 8 }),
    oddTail: fc.option(text(20), { nil: undefined }),
    damage: fc.constantFrom('none', 'none', 'none', 'drop-last-nul', 'extra-nuls', 'cut', 'huge-tail'),
    cutAt: fc.nat(),
  })
  .map((r): Buffer => {
    const strings = [r.filename, r.mode, ...r.options.flatMap((o) => [o.name, o.value])];
    if (r.oddTail !== undefined) strings.push(r.oddTail);
    const head = Buffer.alloc(2);
    head.writeUInt16BE(r.opcode, 0);
    let body = Buffer.concat(strings.flatMap((s) => [Buffer.from(s, 'latin1'), Buffer.alloc(1)]));
    switch (r.damage) {
      case 'drop-last-nul':
        body = body.subarray(0, body.length - 1);
        break;
      case 'extra-nuls':
        body = Buffer.concat([body, Buffer.alloc(3)]);
        break;
      case 'huge-tail':
        body = Buffer.concat([body, Buffer.alloc(20_000, 0x41)]);
        break;
      case 'cut':
      case 'none':
        break;
    }
    const packet = Buffer.concat([head, body]);
    return r.damage === 'cut' ? packet.subarray(0, r.cutAt % (packet.length + 1)) : packet;
  });

/** Any other packet a client or a stranger could send: DATA, ACK, ERROR, OACK, with right and wrong lengths. */
const otherPacket = fc.oneof(
  fc
    .record({ block: fc.nat(0xffff), data: fc.uint8Array({ maxLength: 600 }) })
    .map(({ block, data }) => encodePacket({ op: 'DATA', block, data })),
  fc.nat(0xffff).map((block) => encodePacket({ op: 'ACK', block })),
  fc
    .record({ code: fc.nat(0xffff), message: text(100) })
    .map(({ code, message }) => encodePacket({ op: 'ERROR', code, message })),
  fc
    .array(option, { maxLength: 4 })
    .map((options) =>
      Buffer.concat([
        Buffer.from([0, 6]),
        ...options.flatMap((o) => [Buffer.from(`${o.name}\0${o.value}\0`, 'latin1')]),
      ]),
    ),
);

const junk = fc.oneof(
  fc.uint8Array({ maxLength: 1500 }).map((b) => Buffer.from(b)),
  fc
    .record({ length: fc.integer({ min: 1500, max: 65_000 }), fill: fc.nat(255), op: fc.nat(7) })
    .map(({ length, fill, op }) => Buffer.concat([Buffer.from([0, op]), Buffer.alloc(length, fill)])),
);

/** The largest UDP payload over IPv4: longer requests are sent cut to it. */
const MAX_DATAGRAM = 65_507;

const datagram = fc
  .oneof({ weight: 3, arbitrary: request }, { weight: 2, arbitrary: otherPacket }, junk)
  .map((bytes) => bytes.subarray(0, MAX_DATAGRAM));

/** A loopback source address of its own for each input, so no client limit of the server is reached. */
let nextSource = 0;
function freshSource(): string {
  nextSource += 1;
  return `127.7.${Math.floor(nextSource / 250) % 250}.${(nextSource % 250) + 1}`;
}

function bind(address: string): Promise<Socket> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function send(socket: Socket, bytes: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
  );
}

interface Reply {
  port: number;
  bytes: Buffer;
}

/** Waits while `replies` (filled by a socket's listener) keeps growing: until `ms` pass with nothing new, 2 s at most. */
async function collect(ms: number, replies: Reply[]): Promise<void> {
  const started = Date.now();
  let seen = -1;
  while (seen !== replies.length && Date.now() - started < 2000) {
    seen = replies.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/** Every datagram the server sends is a well-formed TFTP packet of a kind a server sends. */
function expectServerPacket(bytes: Buffer): TftpPacket {
  const packet = decodePacket(bytes);
  expect(['ERROR', 'OACK', 'DATA']).toContain(packet.op);
  return packet;
}

async function expectStillServing(): Promise<void> {
  const result = await tftpGet({ port: server.port, file: REAL, localAddress: freshSource(), options: { tsize: 0 } });
  expect(result.error).toBeNull();
  expect(result.data.equals(real)).toBe(true);
}

function isRequest(bytes: Uint8Array): boolean {
  try {
    const op = decodePacket(bytes).op;
    return op === 'RRQ' || op === 'WRQ';
  } catch {
    return false;
  }
}

describe('TFTP packets from a hostile network (fuzz)', { timeout: fuzzTimeout(5_000) }, () => {
  it('the parser throws nothing but TftpPacketError; what it reads, negotiation keeps within the RFCs', async () => {
    await fuzz(
      fc.property(datagram, fc.option(fc.nat(), { nil: null }), (bytes, fileSize) => {
        let packet: TftpPacket;
        try {
          packet = decodePacket(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(TftpPacketError);
          return;
        }
        if (packet.op !== 'RRQ' && packet.op !== 'WRQ') return;
        try {
          const mapped = mapRequestPath(packet.filename);
          expect(mapped.split('/')).not.toContain('..');
          expect(mapped.startsWith('/')).toBe(false);
        } catch (error) {
          expect(error).toBeInstanceOf(TftpRefusal);
        }
        const result = negotiate(packet.options, LIMITS, fileSize);
        expect(result.blksize).toBeGreaterThanOrEqual(8);
        expect(result.blksize).toBeLessThanOrEqual(Math.max(512, LIMITS.maxBlksize));
        expect(result.windowsize).toBeGreaterThanOrEqual(1);
        expect(result.windowsize).toBeLessThanOrEqual(LIMITS.maxWindowsize);
        if (result.timeoutSeconds !== null) {
          expect(result.timeoutSeconds).toBeGreaterThanOrEqual(1);
          expect(result.timeoutSeconds).toBeLessThanOrEqual(255);
        }
        const names = result.accepted.map((o) => o.name.toLowerCase());
        expect(new Set(names).size).toBe(names.length);
        for (const accepted of result.accepted) {
          expect(['blksize', 'tsize', 'timeout', 'windowsize']).toContain(accepted.name.toLowerCase());
          expect(accepted.value).toMatch(/^[0-9]{1,16}$/);
        }
        // The OACK the server would send encodes and reads back the same.
        if (result.accepted.length > 0) {
          const oack = decodePacket(encodePacket({ op: 'OACK', options: result.accepted }));
          expect(oack).toEqual({ op: 'OACK', options: result.accepted });
        }
        expect(result.blksize).toBeLessThanOrEqual(MAX_BLKSIZE);
      }),
      { runs: 3000 },
    );
  });

  it(
    'the server on loopback answers an ERROR, starts a transfer or ignores; never answers junk; keeps serving',
    async () => {
      await fuzz(
        fc.asyncProperty(datagram, async (bytes) => {
          const socket = await bind(freshSource());
          const replies: Reply[] = [];
          socket.on('message', (msg, rinfo) => replies.push({ port: rinfo.port, bytes: msg }));
          try {
            await send(socket, bytes, server.port);
            await collect(15, replies);
          } finally {
            socket.close();
          }
          // Junk on port 69 is dropped unanswered: the source may be forged.
          if (!isRequest(bytes)) expect(replies).toEqual([]);
          for (const reply of replies) expectServerPacket(reply.bytes);
        }),
        { runs: 100, inputTimeoutMs: 5000 },
      );
      await expectStillServing();
    },
    fuzzTimeout(30_000),
  );

  it(
    'a transfer takes any packet from its client or a stranger mid-way without failing the server',
    async () => {
      await fuzz(
        fc.asyncProperty(
          fc.array(option, { maxLength: 4 }),
          fc.array(fc.record({ bytes: datagram, stranger: fc.boolean() }), { minLength: 1, maxLength: 6 }),
          async (options, packets) => {
            const client = await bind(freshSource());
            const stranger = await bind(freshSource());
            const replies: Reply[] = [];
            const strangerReplies: Reply[] = [];
            client.on('message', (msg, rinfo) => replies.push({ port: rinfo.port, bytes: msg }));
            stranger.on('message', (msg, rinfo) => strangerReplies.push({ port: rinfo.port, bytes: msg }));
            try {
              const rrq = Buffer.concat([
                Buffer.from([0, 1]),
                Buffer.from(`${REAL}\0octet\0`),
                ...options.map((o) => Buffer.from(`${o.name}\0${o.value}\0`, 'latin1')),
              ]).subarray(0, MAX_DATAGRAM);
              await send(client, rrq, server.port);
              await collect(15, replies);
              const transferPort = replies.find((r) => r.port !== server.port)?.port;
              for (const { bytes, stranger: fromStranger } of packets) {
                if (transferPort === undefined) break;
                await send(fromStranger ? stranger : client, bytes, transferPort);
              }
              await collect(15, replies);
              await collect(5, strangerReplies);
            } finally {
              client.close();
              stranger.close();
            }
            for (const reply of replies) expectServerPacket(reply.bytes);
            // RFC 1350 §4: a packet from another port gets ERROR 5 and leaves the transfer alone.
            for (const reply of strangerReplies) {
              expect(expectServerPacket(reply.bytes)).toMatchObject({ op: 'ERROR', code: 5 });
            }
          },
        ),
        { runs: 40, inputTimeoutMs: 5000 },
      );
      await expectStillServing();
    },
    fuzzTimeout(30_000),
  );
});
