import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentIsoError, BootFileFetcher } from '../../../../services/vmedia/index.js';

// Agent kernels and ramdisks as the ISO build reads them: boot files by path, URLs downloaded and kept.

const work = mkdtempSync(path.join(tmpdir(), 'anvil-fetcher-'));
const bootFiles = path.join(work, 'boot');
const outside = path.join(work, 'outside');
let server: Server;
let base: string;
const requests: IncomingMessage[] = [];
let ramdisk = Buffer.alloc(200_000, 7);
const etagOf = (b: Buffer) => `"${createHash('sha256').update(b).digest('hex').slice(0, 16)}"`;

beforeAll(async () => {
  mkdirSync(path.join(bootFiles, 'ipa'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(bootFiles, 'ipa', 'kernel'), 'kernel bytes');
  writeFileSync(path.join(outside, 'secret'), 'secret');
  symlinkSync(path.join(outside, 'secret'), path.join(bootFiles, 'escape'));
  server = createServer((req, res) => {
    requests.push(req);
    if (req.url === '/ramdisk' || req.url === '/ramdisk?shared') {
      const etag = etagOf(ramdisk);
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { etag, 'content-length': ramdisk.length }).end(ramdisk);
    } else if (req.url === '/huge') {
      res.writeHead(200, { 'content-length': 10_000_000 }).end();
    } else if (req.url === '/endless') {
      // No length announced: the limit is found while streaming.
      res.writeHead(200);
      res.end(Buffer.alloc(2_000_000, 1));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});

const fetcher = () =>
  new BootFileFetcher({
    bootFilesDir: bootFiles,
    cacheDir: path.join(work, 'cache'),
    timeoutMs: 5000,
    maxBytes: 1_000_000,
  });

describe('BootFileFetcher', () => {
  it('finds a path under the boot files directory and refuses one that leaves it or is missing', async () => {
    expect(readFileSync(await fetcher().localPath('ipa/kernel'), 'utf8')).toBe('kernel bytes');
    await expect(fetcher().localPath('escape')).rejects.toThrow(
      /Specified image file leads out of the boot files directory/,
    );
    await expect(fetcher().localPath('../outside/secret')).rejects.toThrow(AgentIsoError);
    await expect(fetcher().localPath('ipa/missing')).rejects.toThrow(
      /Specified image file not found in the boot files directory/,
    );
  });

  it('reads a path as the boot HTTP server does, percent-escapes decoded', async () => {
    expect(readFileSync(await fetcher().localPath('ipa/%6Bernel'), 'utf8')).toBe('kernel bytes');
    await expect(fetcher().localPath('ipa/%E0%A4%A')).rejects.toThrow(/Malformed percent-encoding/);
    await expect(fetcher().localPath('ipa')).rejects.toThrow(/is not a regular file/);
  });

  it('shares one download between nodes asking for the same URL at once', async () => {
    const f = fetcher();
    const asked = requests.length;
    const url = `${base}/ramdisk?shared`;
    const [a, b, c] = await Promise.all([f.localPath(url), f.localPath(url), f.localPath(url)]);
    expect(new Set([a, b, c]).size).toBe(1);
    expect(requests.length - asked).toBe(1);
  });

  it('downloads a URL once and asks again with its ETag, fetching it anew only when it changed', async () => {
    const f = fetcher();
    const first = await f.localPath(`${base}/ramdisk`);
    expect(readFileSync(first).equals(ramdisk)).toBe(true);
    const asked = requests.length;
    expect(await f.localPath(`${base}/ramdisk`)).toBe(first);
    expect(requests.at(-1)!.headers['if-none-match']).toBe(etagOf(ramdisk));
    expect(requests.length).toBe(asked + 1);

    ramdisk = Buffer.alloc(150_000, 9);
    expect(readFileSync(await f.localPath(`${base}/ramdisk`)).equals(ramdisk)).toBe(true);
  });

  it('refuses what is not there or is larger than allowed, leaving nothing half-written', async () => {
    await expect(fetcher().localPath(`${base}/absent`)).rejects.toThrow(`could not download ${base}/absent: HTTP 404`);
    await expect(fetcher().localPath(`${base}/huge`)).rejects.toThrow(
      /is 10000000 bytes, more than the 1000000 allowed/,
    );
    await expect(fetcher().localPath(`${base}/endless`)).rejects.toThrow(/more than the 1000000 bytes allowed/);
    const cached = readdirSync(path.join(work, 'cache'));
    expect(cached.filter((name) => name.endsWith('.part'))).toEqual([]);
  });
});
