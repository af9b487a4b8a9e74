import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TftpRemoteError,
  TftpTimeoutError,
  tftpRead,
  type TftpReadOptions,
  type TftpReadResult,
} from '../../../../../sim/host/boot/index.js';
import { startTftpServer } from '../../../../../pxe/tftp/index.js';
import { startTinyTftp, type TinyTftpServer } from '../../support/tftp-server.js';

const bootFile = randomBytes(70_000);
const exactBlocks = randomBytes(512 * 4);
let server: TinyTftpServer;

beforeAll(async () => {
  server = await startTinyTftp(
    new Map([
      ['ipxe.efi', bootFile],
      ['exact.bin', exactBlocks],
    ]),
  );
});

afterEach(() => {
  server.dropNext = 0;
  server.refuseOptions = false;
});

afterAll(async () => {
  await server.close();
});

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const where = (): { host: string; port: number } => ({ host: '127.0.0.1', port: server.port });

describe('TFTP client', () => {
  it('reads a whole file with the negotiated blksize and the size from tsize', async () => {
    const read = await tftpRead({ ...where(), file: 'ipxe.efi', blksize: 1468 });
    expect(read).toEqual({
      bytes: bootFile.length,
      sha256: sha256(bootFile),
      blksize: 1468,
      windowsize: 1,
      size: bootFile.length,
      complete: true,
    });
    expect(server.requests.at(-1)).toBe('tftp ipxe.efi blksize=1468');
  });

  it('ends a file of whole blocks on the empty block after it', async () => {
    const read = await tftpRead({ ...where(), file: 'exact.bin', blksize: 512 });
    expect(read).toMatchObject({ bytes: exactBlocks.length, sha256: sha256(exactBlocks), complete: true });
  });

  it('retransmits after lost datagrams and still gets every byte', async () => {
    server.dropNext = 2;
    const read = await tftpRead({ ...where(), file: 'ipxe.efi', timeoutMs: 100, retries: 5 });
    expect(read.sha256).toBe(sha256(bootFile));
  });

  it('asks again without options when the server refuses them (RFC 2347)', async () => {
    server.refuseOptions = true;
    const read = await tftpRead({ ...where(), file: 'ipxe.efi' });
    expect(read).toMatchObject({ bytes: bootFile.length, blksize: 512, size: null });
    expect(server.requests.slice(-2)).toEqual(['tftp ipxe.efi blksize=1468', 'tftp ipxe.efi']);
  });

  it('stops early with an ERROR to the server once maxBytes arrived', async () => {
    const read = await tftpRead({ ...where(), file: 'ipxe.efi', blksize: 1024, maxBytes: 4096 });
    expect(read).toMatchObject({ bytes: 4096, complete: false, sha256: sha256(bootFile.subarray(0, 4096)) });
  });

  it('reports the server error for a missing file', async () => {
    const failure = await tftpRead({ ...where(), file: 'nope.efi' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TftpRemoteError);
    expect(failure).toMatchObject({ code: 1, remoteMessage: 'File not found' });
  });

  it('gives up after a bounded number of tries when nobody answers', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()));
    let seen = 0;
    silent.on('message', () => (seen += 1));
    try {
      const started = Date.now();
      const failure = await tftpRead({
        host: '127.0.0.1',
        port: silent.address().port,
        file: 'x',
        timeoutMs: 50,
        retries: 3,
      }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(TftpTimeoutError);
      expect((failure as Error).message).toMatch(/after 4 tries of 50 ms/);
      expect(seen).toBe(4);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
    }
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    server.dropNext = 1000;
    const pending = tftpRead({ ...where(), file: 'ipxe.efi', timeoutMs: 1000, signal: controller.signal });
    controller.abort(new Error('powered off'));
    await expect(pending).rejects.toThrow('powered off');
  });
});

/**
 * A server socket the test drives by hand: a read of file `f` from it, what
 * the client sent it in order, the next datagram to come, and a way to send
 * the client anything.
 */
async function scriptedServer(read: Omit<TftpReadOptions, 'host' | 'port' | 'file'>): Promise<{
  socket: Socket;
  reading: Promise<TftpReadResult>;
  received: Buffer[];
  next: () => Promise<Buffer>;
  toClient: (packet: Buffer) => void;
}> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  let client: RemoteInfo | null = null;
  let waiting: ((packet: Buffer) => void) | null = null;
  socket.on('message', (packet, from) => {
    client = from;
    received.push(packet);
    waiting?.(packet);
    waiting = null;
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const next = (): Promise<Buffer> => new Promise<Buffer>((resolve) => (waiting = resolve));
  const request = next();
  const reading = tftpRead({ host: '127.0.0.1', port: socket.address().port, file: 'f', ...read });
  await request;
  return {
    socket,
    reading,
    received,
    next,
    toClient: (packet) => socket.send(packet, client!.port, '127.0.0.1'),
  };
}

const OACK_512_WINDOW_4 = Buffer.from('\0\x06blksize\x00512\x00windowsize\x004\x00', 'latin1');
const dataPacket = (block: number, data: Buffer): Buffer => {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(3, 0);
  head.writeUInt16BE(block, 2);
  return Buffer.concat([head, data]);
};
const ackOf = (packet: Buffer): number | null => (packet.readUInt16BE(0) === 4 ? packet.readUInt16BE(2) : null);

describe('TFTP client with a window (RFC 7440)', () => {
  it('reads a file from Anvil in windows of the size asked', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'anvil-tftp-window-'));
    await writeFile(path.join(root, 'ipxe.efi'), bootFile);
    const anvil = await startTftpServer({ root, host: '127.0.0.1', port: 0 });
    try {
      const read = await tftpRead({ host: '127.0.0.1', port: anvil.port, file: 'ipxe.efi', windowsize: 4 });
      expect(read).toEqual({
        bytes: bootFile.length,
        sha256: sha256(bootFile),
        blksize: 1468,
        windowsize: 4,
        size: bootFile.length,
        complete: true,
      });
    } finally {
      await anvil.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('acknowledges once a window, and after a gap the last block it took in order, once', async () => {
    const server = await scriptedServer({ blksize: 512, windowsize: 4, timeoutMs: 2000 });
    const { toClient } = server;
    const file = randomBytes(512 * 8 + 100);
    const block = (n: number): Buffer => dataPacket(n, file.subarray((n - 1) * 512, n * 512));
    try {
      expect(server.received[0]!.subarray(2).toString('ascii').split('\0')).toEqual([
        'f',
        'octet',
        'blksize',
        '512',
        'tsize',
        '0',
        'windowsize',
        '4',
        '',
      ]);
      let answer = server.next();
      toClient(OACK_512_WINDOW_4);
      expect(ackOf(await answer)).toBe(0);

      answer = server.next();
      for (const n of [1, 2, 3, 4]) toClient(block(n));
      expect(ackOf(await answer)).toBe(4);

      // Block 6 is lost: 5, then 7 and 8 out of order get one ACK of 5.
      answer = server.next();
      for (const n of [5, 7, 8]) toClient(block(n));
      expect(ackOf(await answer)).toBe(5);

      answer = server.next();
      for (const n of [6, 7, 8, 9]) toClient(block(n));
      expect(ackOf(await answer)).toBe(9);
      await expect(server.reading).resolves.toMatchObject({
        bytes: file.length,
        sha256: sha256(file),
        windowsize: 4,
      });
      // RRQ, ACK 0, ACK 4, ACK 5, final ACK 9: no ACK per block, and one for the gap.
      expect(server.received.slice(1).map(ackOf)).toEqual([0, 4, 5, 9]);
    } finally {
      server.socket.close();
    }
  });

  it('sends the ACK of the last block taken when the rest of a window does not come', async () => {
    const server = await scriptedServer({ blksize: 512, windowsize: 4, timeoutMs: 100 });
    const { toClient } = server;
    const file = randomBytes(512 * 3 + 1);
    try {
      let answer = server.next();
      toClient(OACK_512_WINDOW_4);
      await answer;
      answer = server.next();
      toClient(dataPacket(1, file.subarray(0, 512)));
      toClient(dataPacket(2, file.subarray(512, 1024)));
      expect(ackOf(await answer)).toBe(2);
      answer = server.next();
      toClient(dataPacket(3, file.subarray(1024, 1536)));
      toClient(dataPacket(4, file.subarray(1536)));
      expect(ackOf(await answer)).toBe(4);
      await expect(server.reading).resolves.toMatchObject({ bytes: file.length, sha256: sha256(file) });
    } finally {
      server.socket.close();
    }
  });

  it('goes block by block when the server does not take the window', async () => {
    const read = await tftpRead({ ...where(), file: 'ipxe.efi', windowsize: 4 });
    expect(read).toMatchObject({ sha256: sha256(bootFile), windowsize: 1 });
  });

  it('refuses a window larger than it asked, and asks again without options (RFC 2347)', async () => {
    const server = await scriptedServer({ windowsize: 4, timeoutMs: 2000 });
    const { toClient } = server;
    try {
      const refusal = server.next();
      toClient(Buffer.from('\0\x06windowsize\x0016\x00', 'latin1'));
      const error = await refusal;
      expect([error.readUInt16BE(0), error.readUInt16BE(2)]).toEqual([5, 8]);
      const plain = await server.next();
      expect(plain.subarray(2).toString('ascii').split('\0')).toEqual(['f', 'octet', '']);
      toClient(dataPacket(1, Buffer.from('tiny')));
      await expect(server.reading).resolves.toMatchObject({ bytes: 4, blksize: 512, windowsize: 1, complete: true });
    } finally {
      server.socket.close();
    }
  });
});
