import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTftpServer, type TftpEvent, type TftpServer } from '../../../../pxe/tftp/index.js';
import { tftpGet } from './client.js';

let root: string;
const big = randomBytes(1_200_007);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'anvil-tftp-threads-'));
  await writeFile(path.join(root, 'big.bin'), big);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function withServer(
  transferThreads: number,
  run: (server: TftpServer, events: TftpEvent[]) => Promise<void>,
): Promise<void> {
  const events: TftpEvent[] = [];
  const server = await startTftpServer({
    root,
    host: '127.0.0.1',
    port: 0,
    transferThreads,
    // Where the native data path was built, it would take every transfer of a file.
    nativeTransfers: false,
    maxTransfersPerClient: 50,
    observer: (e) => events.push(e),
    // A stream from the resolver: read on the server's own thread, never moved to one.
    resolve: (file) =>
      file === 'streamed.bin' ? { stream: Readable.from([big.subarray(0, 100_000)]), size: 100_000 } : null,
  });
  try {
    await run(server, events);
  } finally {
    await server.close();
  }
}

describe('TFTP transfer threads', () => {
  it('spreads concurrent transfers over its threads, each client getting its file whole', async () => {
    await withServer(2, async (server) => {
      expect(server.transferThreads).toBe(0);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          tftpGet({ port: server.port, file: 'big.bin', localAddress: `127.0.3.${i + 1}`, options: { blksize: 1468 } }),
        ),
      );
      for (const result of results) {
        expect(result.error).toBeNull();
        expect(result.data.equals(big)).toBe(true);
      }
      expect(server.transferThreads).toBe(2);
    });
  });

  it('reports a transfer run in a thread as one run on the server thread', async () => {
    const summaries: unknown[] = [];
    for (const threads of [0, 1]) {
      await withServer(threads, async (server, events) => {
        const result = await tftpGet({ port: server.port, file: 'big.bin', options: { blksize: 8192, windowsize: 4 } });
        expect(result.data.equals(big)).toBe(true);
        await expect.poll(() => events.length).toBe(1);
        const [event] = events;
        if (event?.event !== 'transfer-complete') throw new Error(`not complete: ${JSON.stringify(event)}`);
        summaries.push({ ...event, seconds: 0, clientPort: 0 });
        expect(server.transferThreads).toBe(threads);
      });
    }
    expect(summaries[1]).toEqual(summaries[0]);
    expect(summaries[0]).toMatchObject({ bytes: big.length, blksize: 8192, windowsize: 4, retransmits: 0 });
  });

  it('serves a stream on the server thread, starting no thread for it', async () => {
    await withServer(2, async (server) => {
      const result = await tftpGet({ port: server.port, file: 'streamed.bin' });
      expect(result.data.equals(big.subarray(0, 100_000))).toBe(true);
      expect(server.transferThreads).toBe(0);
    });
  });
});
