/**
 * DORA exchanges per second: Anvil's DHCP server (full mode, static leases
 * from an in-memory backend) against dnsmasq (static --dhcp-host entries,
 * leases in memory, --quiet-dhcp as Anvil logs nothing per packet), under the same client load, on a private segment of
 * network namespaces (see test/interop/dhcp-netns.ts) that is deleted at the
 * end. perfdhcp is not installed here, so the load is this file's own
 * generator: N exchanges with distinct MACs, W in flight, each a broadcast
 * DISCOVER, then a REQUEST for the offered address, done at the ACK.
 * Needs root. Usage: npx tsx bench/dhcp.ts [exchanges] [window] [rounds]
 * (the same file runs as the generator inside the client namespace).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BootHost } from '../pxe/backend.js';
import { BROADCAST_FLAG, chaddrFromMac, decodeMessage, encodeMessage, type DhcpMessage } from '../pxe/dhcp/index.js';
import { AnvilInNs, ip, Lan, netnsProblem, removeStaleNamespaces } from '../test/interop/dhcp-netns.js';

interface LoadResult {
  completed: number;
  failed: number;
  seconds: number;
  p50ms: number;
  p95ms: number;
}

const REPO = resolve(import.meta.dirname, '..');
const macOf = (i: number): string =>
  `02:bb:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
const addressOf = (i: number): string => `10.79.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;

/** The generator: runs inside the client namespace, prints one LoadResult line. */
async function load(exchanges: number, window: number, base: number): Promise<LoadResult> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => socket.bind(68, '0.0.0.0', r));
  socket.setBroadcast(true);
  const pending = new Map<
    number,
    { index: number; step: 'offer' | 'ack'; started: number; sentAt: number; tries: number }
  >();
  const times: number[] = [];
  let next = 0;
  let failed = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const xidOf = (i: number): number => (base + i) >>> 0;

  const send = (i: number, step: 'offer' | 'ack', offered?: DhcpMessage): void => {
    const options: DhcpMessage['options'] =
      step === 'offer'
        ? { messageType: 'discover' }
        : { messageType: 'request', serverId: offered!.options.serverId!, requestedIp: offered!.yiaddr };
    const m: DhcpMessage = {
      op: 'request',
      htype: 1,
      hlen: 6,
      hops: 0,
      xid: xidOf(i),
      secs: 0,
      flags: BROADCAST_FLAG,
      ciaddr: '0.0.0.0',
      yiaddr: '0.0.0.0',
      siaddr: '0.0.0.0',
      giaddr: '0.0.0.0',
      chaddr: chaddrFromMac(macOf(i)),
      sname: '',
      file: '',
      options,
    };
    socket.send(encodeMessage(m), 67, '255.255.255.255');
  };
  const start = (): void => {
    while (pending.size < window && next < exchanges) {
      const i = next++;
      const now = performance.now();
      pending.set(xidOf(i), { index: i, step: 'offer', started: now, sentAt: now, tries: 1 });
      send(i, 'offer');
    }
    if (pending.size === 0 && next >= exchanges) resolveDone();
  };
  socket.on('message', (b) => {
    let m: DhcpMessage;
    try {
      m = decodeMessage(b);
    } catch {
      return;
    }
    const p = pending.get(m.xid);
    if (!p || m.op !== 'reply') return;
    if (p.step === 'offer' && m.options.messageType === 'offer') {
      p.step = 'ack';
      p.sentAt = performance.now();
      send(p.index, 'ack', m);
    } else if (p.step === 'ack' && m.options.messageType === 'ack') {
      times.push(performance.now() - p.started);
      pending.delete(m.xid);
      start();
    }
  });
  // Bounded: an exchange without progress for 1 s starts over from DISCOVER, at most 3 times.
  const timer = setInterval(() => {
    const now = performance.now();
    for (const [xid, p] of pending) {
      if (now - p.sentAt < 1000) continue;
      if (p.tries >= 3) {
        pending.delete(xid);
        failed++;
        continue;
      }
      p.tries++;
      p.step = 'offer';
      p.sentAt = now;
      send(p.index, 'offer');
    }
    start();
  }, 100);
  const t0 = performance.now();
  start();
  await done;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  socket.close();
  times.sort((a, b) => a - b);
  const pct = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
  return { completed: times.length, failed, seconds, p50ms: pct(0.5), p95ms: pct(0.95) };
}

function runLoad(ns: string, exchanges: number, window: number, base: number): Promise<LoadResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '--import',
        'tsx',
        'bench/dhcp.ts',
        'load',
        String(exchanges),
        String(window),
        String(base),
      ],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      if (code === 0) resolvePromise(JSON.parse(out.trim().split('\n').pop()!) as LoadResult);
      else reject(new Error(`load generator exited ${code}: ${out}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await gone;
}

async function main(): Promise<void> {
  const exchanges = Number(process.argv[2] ?? 2000);
  const window = Number(process.argv[3] ?? 32);
  const rounds = Number(process.argv[4] ?? 3);
  const problem = netnsProblem();
  if (problem) throw new Error(`network namespaces are needed: ${problem}`);
  if (spawnSync('sh', ['-c', 'command -v dnsmasq']).status !== 0) throw new Error('dnsmasq is not installed');

  removeStaleNamespaces('anvil-b');
  const lan = new Lan(`b${process.pid % 100000}`);
  const dir = await mkdtemp(join(tmpdir(), 'anvil-bench-dhcp-'));
  const results: Array<{ server: string } & LoadResult> = [];
  try {
    const serverNs = lan.ns('srv');
    const siteNs = lan.ns('site');
    const clientNs = lan.ns('cli');
    lan.plug(serverNs, 'srv0', '02:00:00:79:00:01', '10.79.0.1/16');
    lan.plug(siteNs, 'site0', '02:00:00:79:00:02', '10.79.0.2/16');
    lan.plug(clientNs, 'gen0', '02:00:00:79:00:03', '10.79.255.250/16');
    // The generator sends to 255.255.255.255 from 0.0.0.0: route it out of its only link.
    ip('-n', clientNs, 'route', 'add', 'default', 'dev', 'gen0');

    const hosts: BootHost[] = Array.from({ length: exchanges }, (_, i) => ({
      mac: macOf(i),
      nodeUuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      hostname: null,
      lease: { address: addressOf(i), prefix: 16, gateway: '10.79.0.254', dnsServers: ['10.79.0.53'], leaseTime: 3600 },
      boot: { kind: 'exit' },
    }));
    await writeFile(join(dir, 'hosts'), hosts.map((h) => `${h.mac},${h.lease!.address}`).join('\n') + '\n');

    for (let round = 0; round < rounds; round++) {
      const anvil = await AnvilInNs.start(
        serverNs,
        {
          mode: 'full',
          interface: 'srv0',
          serverIp: '10.79.0.1',
          hosts,
          boot: { ipxeScriptUrl: 'http://10.79.0.1:8080/boot/{mac}.ipxe' },
          quiet: true,
        },
        REPO,
      );
      try {
        results.push({ server: 'anvil', ...(await runLoad(clientNs, exchanges, window, round * 0x100000)) });
      } finally {
        await anvil.stop();
      }
      const dnsmasq = spawn(
        'ip',
        [
          'netns',
          'exec',
          siteNs,
          'dnsmasq',
          '--no-daemon',
          '--conf-file=/dev/null',
          '--port=0',
          '--interface=site0',
          '--bind-interfaces',
          '--dhcp-range=10.79.0.0,static,255.255.0.0,1h',
          `--dhcp-hostsfile=${join(dir, 'hosts')}`,
          '--dhcp-option=option:router,10.79.0.254',
          '--dhcp-option=option:dns-server,10.79.0.53',
          '--no-ping',
          '--quiet-dhcp',
          '--leasefile-ro',
          '--user=root',
          `--dhcp-lease-max=${exchanges + 10}`,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      try {
        await new Promise((r) => setTimeout(r, 500));
        results.push({
          server: 'dnsmasq',
          ...(await runLoad(clientNs, exchanges, window, 0x8000000 + round * 0x100000)),
        });
      } finally {
        await stopChild(dnsmasq);
      }
    }
  } finally {
    lan.destroy();
    await rm(dir, { recursive: true, force: true });
  }

  console.log(`| server | round | exchanges | failed | seconds | DORA/s | p50 ms | p95 ms |`);
  console.log(`|---|---|---|---|---|---|---|---|`);
  results.forEach((r, k) =>
    console.log(
      `| ${r.server} | ${Math.floor(k / 2) + 1} | ${r.completed} | ${r.failed} | ${r.seconds.toFixed(2)} | ${Math.round(r.completed / r.seconds)} | ${r.p50ms.toFixed(2)} | ${r.p95ms.toFixed(2)} |`,
    ),
  );
  const median = (server: string): number => {
    const rates = results
      .filter((r) => r.server === server)
      .map((r) => r.completed / r.seconds)
      .sort((a, b) => a - b);
    return rates[Math.floor(rates.length / 2)]!;
  };
  console.log(
    `\nmedian DORA/s: anvil ${Math.round(median('anvil'))}, dnsmasq ${Math.round(median('dnsmasq'))}, anvil/dnsmasq ${(median('anvil') / median('dnsmasq')).toFixed(2)}`,
  );
}

if (process.argv[2] === 'load') {
  const [, , , n, w, base] = process.argv;
  console.log(JSON.stringify(await load(Number(n), Number(w), Number(base))));
} else {
  await main();
}
