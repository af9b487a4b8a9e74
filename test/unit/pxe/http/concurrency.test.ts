import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBootHttpServer, type BootHttpServer } from '../../../../pxe/http/index.js';
import { download } from './client.js';
import { FakeBackend } from './fake-backend.js';

const MiB = 1024 * 1024;
const SIZE = 16 * MiB;
const CLIENTS = 20;
const work = mkdtempSync(join(tmpdir(), 'anvil-http-load-'));
let server: BootHttpServer;
let expected: string;

beforeAll(async () => {
  // Written in pieces, so the test itself never holds the image either.
  const hash = createHash('sha256');
  const fd = openSync(join(work, 'disk.img'), 'w');
  for (let i = 0; i < SIZE / MiB; i++) {
    const chunk = Buffer.alloc(MiB, i * 7 + 1);
    chunk.writeUInt32BE(i, 0);
    writeSync(fd, chunk);
    hash.update(chunk);
  }
  closeSync(fd);
  expected = hash.digest('hex');
  server = await startBootHttpServer({
    host: '127.0.0.1',
    port: 0,
    backend: new FakeBackend([]),
    imageDirs: { images: work },
  });
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

it('serves 20 concurrent downloads of a 16 MiB image byte-identical with flat memory', async () => {
  globalThis.gc?.();
  const before = process.memoryUsage();
  let peakBuffers = before.arrayBuffers;
  let peakRss = before.rss;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
    peakRss = Math.max(peakRss, now.rss);
  }, 5);
  try {
    const results = await Promise.all(Array.from({ length: CLIENTS }, () => download(server.url, '/images/disk.img')));
    for (const result of results) expect(result).toEqual({ status: 200, sha256: expected, bytes: SIZE });
  } finally {
    clearInterval(sampler);
  }
  // 320 MiB went out. Buffering whole files would hold at least 16 MiB per
  // client; streaming holds a read buffer or two per connection on each side.
  const grewBuffers = (peakBuffers - before.arrayBuffers) / MiB;
  const grewRss = (peakRss - before.rss) / MiB;
  expect(grewBuffers).toBeLessThan(128);
  expect(grewRss).toBeLessThan(200);
}, 30_000);
