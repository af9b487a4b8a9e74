/**
 * Image streaming throughput over loopback, in one run: Anvil's boot HTTP
 * server against Python's `http.server` (Debian's /usr/bin/python3, a plain
 * static server) and a minimal node:http static handler (createReadStream
 * piped to the response, no checks), each serving the same file to the same
 * number of concurrent `curl -o /dev/null` clients. Rounds alternate between
 * servers so drift on the shared cores hits all of them; medians are reported.
 * Usage: npx tsx bench/http-images.ts [MiB] [clients] [rounds]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBootHttpServer } from '../pxe/http/index.js';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.argv[2] ?? 256);
const CLIENTS = Number(process.argv[3] ?? 4);
const ROUNDS = Number(process.argv[4] ?? 5);

const noHosts = {
  getByMac: async () => null,
  getByIp: async () => null,
  recordServed: async () => undefined,
  recordServedTo: async () => undefined,
};

function curl(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-s', '-o', '/dev/null', '--max-time', '120', '-w', '%{size_download}', url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`curl ${url} exited ${code}`))));
  });
}

/** Seconds for CLIENTS concurrent downloads of the whole file. */
async function round(url: string): Promise<number> {
  const started = performance.now();
  const sizes = await Promise.all(Array.from({ length: CLIENTS }, () => curl(url)));
  const seconds = (performance.now() - started) / 1000;
  if (sizes.some((s) => s !== SIZE_MIB * MIB)) throw new Error(`${url}: short download ${sizes.join(',')}`);
  return seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get(url, (res) => {
          res.resume();
          resolve(true);
        })
        .on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-bench-http-'));
  let python: ChildProcess | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const fd = openSync(join(dir, 'disk.img'), 'w');
    for (let i = 0; i < SIZE_MIB; i++) writeSync(fd, Buffer.alloc(MIB, i % 251));
    closeSync(fd);

    const anvil = await startBootHttpServer({
      host: '127.0.0.1',
      port: 0,
      backend: noHosts,
      imageDirs: { images: dir },
    });
    closers.push(() => anvil.close());

    const minimal = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': SIZE_MIB * MIB });
      createReadStream(join(dir, 'disk.img')).pipe(res);
    });
    await new Promise<void>((resolve) => minimal.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => minimal.close(resolve)));

    const pythonPort = await freePort();
    python = spawn(
      '/usr/bin/python3',
      ['-m', 'http.server', '--bind', '127.0.0.1', '--directory', dir, String(pythonPort)],
      { stdio: 'ignore' },
    );
    await waitForHttp(`http://127.0.0.1:${pythonPort}/`);

    const servers = [
      { what: 'Anvil boot HTTP server (pxe/http)', url: `${anvil.url}/images/disk.img` },
      { what: 'python3 -m http.server (Debian 3.11)', url: `http://127.0.0.1:${pythonPort}/disk.img` },
      {
        what: 'minimal node:http createReadStream().pipe()',
        url: `http://127.0.0.1:${(minimal.address() as AddressInfo).port}/disk.img`,
      },
    ];
    const times = new Map<string, number[]>(servers.map((s) => [s.what, []]));
    for (const server of servers) await round(server.url); // warm the page cache and each server
    for (let r = 0; r < ROUNDS; r++) {
      for (const server of servers) times.get(server.what)!.push(await round(server.url));
    }

    const total = (SIZE_MIB * CLIENTS) / 1024;
    console.log(`${SIZE_MIB} MiB file, ${CLIENTS} concurrent curl clients, ${ROUNDS} rounds (median)\n`);
    console.log('| server | GiB per round | median s | MiB/s | min s | max s |');
    console.log('|---|---|---|---|---|---|');
    const rate = new Map<string, number>();
    for (const server of servers) {
      const t = times.get(server.what)!;
      const mibs = (SIZE_MIB * CLIENTS) / median(t);
      rate.set(server.what, mibs);
      console.log(
        `| ${server.what} | ${total.toFixed(2)} | ${median(t).toFixed(2)} | ${mibs.toFixed(0)} | ${Math.min(...t).toFixed(2)} | ${Math.max(...t).toFixed(2)} |`,
      );
    }
    const [a, p, m] = servers.map((s) => rate.get(s.what)!);
    console.log(
      `\nAnvil / python http.server: ${(a! / p!).toFixed(2)}x; Anvil / minimal node: ${(a! / m!).toFixed(2)}x`,
    );
  } finally {
    python?.kill('SIGTERM');
    for (const close of closers) await close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
