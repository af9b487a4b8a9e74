import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTftpServer,
  type TftpEvent,
  type TftpServer,
  type TftpServerOptions,
} from '../../../../pxe/tftp/index.js';
import { tftpGet } from './client.js';

// What the data paths share is tested on both in server.test.ts; this is what is the native path's own.
const built = existsSync(new URL('../../../../build/Release/anvil_tftp.node', import.meta.url));
let root: string;
const file = randomBytes(300_001);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'anvil-tftp-native-'));
  await writeFile(path.join(root, 'file.bin'), file);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function withServer(
  host: string,
  run: (server: TftpServer, events: TftpEvent[]) => Promise<void>,
  extra: Partial<TftpServerOptions> = {},
): Promise<void> {
  const events: TftpEvent[] = [];
  const server = await startTftpServer({
    root,
    host,
    port: 0,
    maxTransfersPerClient: 50,
    ...extra,
    observer: (e) => events.push(e),
    resolve: (name) => (name === 'generated.txt' ? Buffer.from('#!ipxe\nchain http://x/y\n') : null),
  });
  try {
    await run(server, events);
  } finally {
    await server.close();
  }
}

const openDescriptors = async (): Promise<number> => (await readdir('/proc/self/fd')).length;

describe('TFTP transfers on the native data path', () => {
  it('runs them there wherever npm install built it, as it must under CI', async () => {
    if (process.env.CI === 'true') expect(built, 'npm install did not build build/Release/anvil_tftp.node').toBe(true);
    await withServer('127.0.0.1', async (server) => {
      expect(server.nativeTransfers).toBe(built);
      expect(server.transferThreads).toBe(0);
    });
  });

  it.runIf(built)(
    'leaves no descriptor behind: the file, the socket and the wake-up are closed as each transfer ends',
    async () => {
      await withServer('127.0.0.1', async (server) => {
        // One transfer first, so that what a server opens once (the addon, its first thread) is counted out.
        await tftpGet({ port: server.port, file: 'file.bin' });
        const before = await openDescriptors();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            tftpGet({
              port: server.port,
              file: i % 2 ? 'file.bin' : 'generated.txt',
              localAddress: `127.0.4.${i + 1}`,
            }),
          ),
        );
        for (const result of results) expect(result.error).toBeNull();
        await expect.poll(() => server.activeTransfers).toBe(0);
        await expect.poll(openDescriptors).toBeLessThanOrEqual(before);
      });
    },
  );

  it.runIf(built)('serves an IPv6 client, and an IPv4 client of a dual-stack listener', async () => {
    await withServer('::1', async (server, events) => {
      const result = await tftpGet({ host: '::1', port: server.port, file: 'file.bin', options: { blksize: 1428 } });
      expect(result.error).toBeNull();
      expect(result.data.equals(file)).toBe(true);
      await expect.poll(() => events.length).toBe(1);
      expect(events[0]).toMatchObject({ event: 'transfer-complete', client: '::1', bytes: file.length });
    });
    await withServer('::', async (server, events) => {
      const result = await tftpGet({ port: server.port, file: 'file.bin', options: { windowsize: 4 } });
      expect(result.data.equals(file)).toBe(true);
      await expect.poll(() => events.length).toBe(1);
      expect(events[0]).toMatchObject({ event: 'transfer-complete', client: '127.0.0.1', windowsize: 4 });
    });
  });

  it.runIf(built)('sends a window of more blocks than one system call takes, whole and in order', async () => {
    await withServer(
      '127.0.0.1',
      async (server, events) => {
        const result = await tftpGet({ port: server.port, file: 'file.bin', options: { blksize: 8, windowsize: 200 } });
        expect(result.error).toBeNull();
        expect(result.data.equals(file)).toBe(true);
        await expect.poll(() => events.length).toBe(1);
        expect(events[0]).toMatchObject({ event: 'transfer-complete', blksize: 8, windowsize: 200 });
      },
      { maxWindowsize: 256 },
    );
  });
});
