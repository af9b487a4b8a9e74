import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TftpRemoteError, TftpTimeoutError, tftpRead } from '../../../../../sim/host/boot/index.js';
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
