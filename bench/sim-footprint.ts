/**
 * The simulator's footprint: start time, resident memory and open file
 * descriptors for 1,000 and 10,000 hosts, Redfish only and Redfish + one
 * IPMI UDP socket per host. Each case runs in a fresh child process so one
 * case's heap does not inflate the next; a last case shows what a low
 * open-file limit does to 10,000 IPMI hosts.
 * Usage: npx tsx bench/sim-footprint.ts [sizes, comma-separated]
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IpmiClient } from '../bmc-drivers/ipmi/index.js';
import { startSimFleet } from '../sim/fleet-runner.js';
import { createFleet, type Fleet, type SimManifestHost } from '../sim/host/index.js';
import { startRedfishSim } from '../sim/redfish/index.js';

type Face = 'redfish' | 'redfish+ipmi';

interface Measurement {
  hosts: number;
  face: Face;
  /** The `ulimit -n` the case ran under, when it set one. */
  openFileLimit: string | null;
  fleetMs: number;
  startMs: number;
  rssMiB: number;
  heapMiB: number;
  baselineRssMiB: number;
  fds: number;
  baselineFds: number;
  closeMs: number;
  check: string;
}

const mib = (bytes: number): number => bytes / 1024 / 1024;
const openFds = (): number => readdirSync('/proc/self/fd').length;

function settledRss(): { rss: number; heap: number } {
  // --expose-gc is passed to the child, so the figures leave out garbage.
  globalThis.gc?.();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed };
}

interface Started {
  close(): Promise<void>;
  /** Asks the last host for its power state, to show the fleet works. */
  check(): Promise<string>;
}

async function startRedfishOnly(fleet: Fleet): Promise<Started> {
  const sim = await startRedfishSim({ fleet });
  const last = fleet.hosts[fleet.size - 1]?.name ?? '';
  const check = async (): Promise<string> => {
    const res = await fetch(`${sim.url}/redfish/v1/Systems/${last}`, {
      headers: { Authorization: `Basic ${Buffer.from('admin:password').toString('base64')}` },
    });
    return `Redfish ${last}: ${((await res.json()) as { PowerState: string }).PowerState}`;
  };
  return { close: () => sim.close(), check };
}

async function startBothFaces(fleet: Fleet): Promise<Started> {
  const sim = await startSimFleet({ fleet });
  const last = sim.manifest.hosts[fleet.size - 1] as SimManifestHost;
  const check = async (): Promise<string> => {
    const address = new URL(last.ipmi.address);
    const client = new IpmiClient({
      host: address.hostname,
      port: Number(address.port),
      username: last.ipmi.username,
      password: last.ipmi.password,
    });
    try {
      return `IPMI ${last.name}: ${await client.getPowerState()}`;
    } finally {
      await client.close();
    }
  };
  return { close: () => sim.close(), check };
}

async function child(hosts: number, face: Face): Promise<Measurement> {
  const baseline = settledRss();
  const baselineFds = openFds();
  let started = performance.now();
  const fleet = createFleet({ count: hosts });
  const fleetMs = performance.now() - started;
  started = performance.now();
  const sim = face === 'redfish' ? await startRedfishOnly(fleet) : await startBothFaces(fleet);
  const startMs = performance.now() - started;
  const check = await sim.check();
  const after = settledRss();
  const fds = openFds();
  const closing = performance.now();
  await sim.close();
  return {
    hosts,
    face,
    openFileLimit: process.env.BENCH_OPEN_FILE_LIMIT ?? null,
    fleetMs,
    startMs,
    rssMiB: mib(after.rss),
    heapMiB: mib(after.heap),
    baselineRssMiB: mib(baseline.rss),
    fds,
    baselineFds,
    closeMs: performance.now() - closing,
    check,
  };
}

/** Runs one case in a fresh Node process, under `ulimit -n limit` when given. */
function runCase(hosts: number, face: Face, limit?: number): Promise<Measurement | string> {
  const node = [
    process.execPath,
    '--expose-gc',
    ...process.execArgv,
    fileURLToPath(import.meta.url),
    '--child',
    String(hosts),
    face,
  ];
  const quoted = node.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const script = limit === undefined ? `exec ${quoted}` : `ulimit -n ${limit} && exec ${quoted}`;
  return new Promise((resolve, reject) => {
    const proc = spawn('sh', ['-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: limit === undefined ? process.env : { ...process.env, BENCH_OPEN_FILE_LIMIT: String(limit) },
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 300_000);
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as Measurement);
      else
        resolve(
          `${hosts} hosts, ${face}, ulimit -n ${limit ?? 'inherited'}: exit ${code}: ${err.trim().split('\n')[0] ?? ''}`,
        );
    });
  });
}

async function parent(sizes: number[]): Promise<void> {
  const results: Array<Measurement | string> = [];
  for (const hosts of sizes) {
    for (const face of ['redfish', 'redfish+ipmi'] as const) results.push(await runCase(hosts, face));
  }
  const largest = Math.max(...sizes);
  results.push(await runCase(largest, 'redfish+ipmi', 4096));
  console.log(`open-file limit of this shell: ${await softLimit()}\n`);
  console.log(
    '| hosts | faces | fleet build ms | start ms | RSS MiB | RSS over empty process MiB | heap MiB | open fds | close ms | check |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const failures: string[] = [];
  for (const r of results) {
    if (typeof r === 'string') {
      failures.push(r);
      continue;
    }
    const faces = r.openFileLimit === null ? r.face : `${r.face} (ulimit -n ${r.openFileLimit})`;
    console.log(
      `| ${r.hosts} | ${faces} | ${r.fleetMs.toFixed(0)} | ${r.startMs.toFixed(0)} | ${r.rssMiB.toFixed(0)} | ${(r.rssMiB - r.baselineRssMiB).toFixed(0)} | ${r.heapMiB.toFixed(0)} | ${r.fds} (${r.baselineFds} before) | ${r.closeMs.toFixed(0)} | ${r.check} |`,
    );
  }
  for (const failure of failures) console.log(`\ndid not start: ${failure}`);
}

function softLimit(): Promise<string> {
  return new Promise((resolve) => {
    const proc = spawn('sh', ['-c', 'ulimit -n'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('close', () => resolve(out.trim()));
  });
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  child(Number(args[1]), args[2] as Face).then(
    (m) => {
      process.stdout.write(JSON.stringify(m));
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
} else {
  parent((args[0] ?? '1000,10000').split(',').map(Number)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
