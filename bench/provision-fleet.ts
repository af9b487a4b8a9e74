/**
 * Provision fleet (issue 7): N Redfish sim hosts (default 1,000) taken enroll
 * → claim an address → manage → inspect → provide (automated cleaning by the
 * agent) → deploy (image + JSON config drive) → active through the REST API,
 * every host really network-booting against Anvil (TFTP boot file, iPXE
 * script over HTTP, a Range read of the agent kernel and ramdisk) and running
 * the fake agent (lookup, heartbeats, commands, image download with sha256
 * check). Built on test/e2e/process-provision-rig.ts: Anvil (API, conductor,
 * HTTP and TFTP boot servers) is an `anvil serve` process of its own, on
 * SQLite or PostgreSQL, run from the build this bench makes first, as
 * `npm start` runs it, so its CPU seconds and peak RSS are read apart from
 * the sim fleet and this client, which share this process.
 * A client keeps at most CONCURRENCY nodes in flight, each polled every POLL_MS.
 * Usage: npx tsx bench/provision-fleet.ts [hosts] [concurrency] [sqlite|postgres] [poll ms, default 250]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startProcessProvisionRig } from '../test/e2e/process-provision-rig.js';
import {
  createPool,
  enrollForDeploy,
  settlesIn,
  userDataFor,
  setImage,
  type ProvisionRig,
} from '../test/e2e/provision-rig.js';
import type { EngineName } from '../test/support/engines.js';
import { inParallel, provision, simHost } from '../test/e2e/sim-nodes.js';
import type { BootStep } from '../sim/host/index.js';
import { percentile } from './anvil-fleet.js';
import { buildAnvil } from './build.js';

const HOSTS = Number(process.argv[2] ?? 1000);
const CONCURRENCY = Number(process.argv[3] ?? 50);
const ENGINE = (process.argv[4] ?? 'sqlite') as EngineName;
const POLL_MS = Number(process.argv[5] ?? 250);
const STEP_MS = 180_000;
/** The whole run, bounded: past this the bench stops and says how far it got. 15 min, 300 ms a host past 3,000. */
const RUN_MS = Math.max(15 * 60_000, HOSTS * 300);
const PHASES = ['enroll', 'manage', 'inspect', 'provide', 'deploy'] as const;
type Phase = (typeof PHASES)[number];

/** PUT states/provision, re-sent while the conductor answers 503 (worker pool full) or 409 (node locked). */
async function request(
  rig: ProvisionRig,
  uuid: string,
  body: Record<string, unknown>,
  version?: string,
): Promise<number> {
  let resent = 0;
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await provision(rig.svc, uuid, body, version);
    if (res.status === 202) return resent;
    if (res.status !== 503 && res.status !== 409)
      throw new Error(`${JSON.stringify(body)} on ${uuid}: ${res.status} ${res.text}`);
    resent++;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`${JSON.stringify(body)} on ${uuid}: still refused after 200 attempts`);
}

async function main(): Promise<void> {
  await buildAnvil();
  const cpu0 = process.cpuUsage();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 500);
  const rig = await startProcessProvisionRig({
    engine: ENGINE,
    hosts: HOSTS,
    seed: 7007,
    heartbeatMs: 1000,
    processes: [{ name: 'anvil', role: 'all' }],
    fromBuild: true,
    env: {
      ANVIL_DEPLOY_CALLBACK_TIMEOUT: '180',
      ANVIL_CLEAN_CALLBACK_TIMEOUT: '180',
      ANVIL_INSPECT_WAIT_TIMEOUT: '180',
      ANVIL_AGENT_HEARTBEAT_TIMEOUT: '60',
      ANVIL_API_MAX_LIMIT: '10000',
    },
  });
  const anvil = rig.processes.get('anvil')!;
  const anvilCpu0 = cpuSecondsOf(anvil.pid);
  const phaseMs: Record<Phase, number[]> = { enroll: [], manage: [], inspect: [], provide: [], deploy: [] };
  let resent = 0;
  let done = 0;
  const hostNames: string[] = [];
  const deadline = Date.now() + RUN_MS;
  try {
    // Three /24 pools: a pool's range holds 241 addresses.
    const pools = Math.ceil(HOSTS / 240);
    for (let p = 0; p < pools; p++) await createPool(rig.svc, `bench-${p}`, `127.${80 + p}.0.0`);
    const started = performance.now();
    const progress = setInterval(
      () => console.error(`  ${done}/${HOSTS} active after ${((performance.now() - started) / 1000).toFixed(0)} s`),
      30_000,
    );
    try {
      await inParallel(rig.sim.manifest.hosts, CONCURRENCY, async (host, i) => {
        if (Date.now() > deadline)
          throw new Error(`run budget of ${RUN_MS / 1000} s spent with ${done} of ${HOSTS} active`);
        const timed = async <T>(phase: Phase, work: () => Promise<T>): Promise<T> => {
          const t = performance.now();
          const out = await work();
          phaseMs[phase].push(performance.now() - t);
          return out;
        };
        const step = async (body: Record<string, unknown>, state: string, version?: string) => {
          resent += await request(rig, target.uuid, body, version);
          try {
            await settlesIn(rig.svc, target.uuid, state, STEP_MS, POLL_MS);
          } catch (err) {
            // What the host last saw of its boot says where a node stuck waiting for its agent stopped.
            const steps = (await simHost(rig.sim, host.name)).bootSteps;
            const last = steps.filter((s) => s.boot === steps.at(-1)?.boot);
            const seen = last.map((s) => `  ${s.at} ${s.kind} ${s.outcome} ${s.source}: ${s.detail}`).join('\n');
            throw new Error(`${(err as Error).message}\n${host.name}'s last boot:\n${seen}`, { cause: err });
          }
        };
        const target = await timed('enroll', () => enrollForDeploy(rig, i, 'redfish', `bench-${Math.floor(i / 240)}`));
        hostNames.push(host.name);
        await timed('manage', () => step({ target: 'manage' }, 'manageable'));
        await timed('inspect', () => step({ target: 'inspect' }, 'manageable'));
        await timed('provide', () => step({ target: 'provide' }, 'available'));
        await setImage(rig.svc, target.uuid, rig.image);
        const configdrive = { meta_data: { hostname: `bench-${i}` }, user_data: userDataFor(`bench-${i}`) };
        await timed('deploy', () => step({ target: 'active', configdrive }, 'active', '1.56'));
        done++;
      });
    } finally {
      clearInterval(progress);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const anvilCpu = cpuSecondsOf(anvil.pid) - anvilCpu0;
    const anvilPeakRss = peakRssOf(anvil.pid);

    // Every disk holds the image (a sample of 50 checked; the fleet check is the e2e proof's job).
    for (const name of hostNames.slice(0, 50)) {
      const seen = await simHost(rig.sim, name);
      if (seen.disk?.sha256 !== rig.image.sha256) throw new Error(`${name}'s disk does not hold the image`);
    }
    const where = await whereTheTimeGoes(rig, hostNames);

    console.log(
      `${HOSTS} Redfish sim hosts enroll → active in ${seconds.toFixed(1)} s (${((HOSTS / seconds) * 60).toFixed(0)} nodes/min), ` +
        `${CONCURRENCY} nodes in flight, polled every ${POLL_MS} ms; ${resent} requests answered 503/409 and re-sent`,
    );
    console.log(
      `Anvil (\`anvil serve\`, its own process, ${ENGINE}): ${anvilCpu.toFixed(1)} CPU s over ${seconds.toFixed(1)} s wall, ` +
        `${((anvilCpu / HOSTS) * 1000).toFixed(0)} CPU ms per host, peak RSS ${(anvilPeakRss / 2 ** 20).toFixed(0)} MB`,
    );
    console.log(
      `sim fleet + client (this process): ${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU s ` +
        `(user ${(cpu.user / 1e6).toFixed(1)}, system ${(cpu.system / 1e6).toFixed(1)}), peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`,
    );
    console.log('');
    console.log('| phase (per node: request → seen resting) | p50 ms | p95 ms | max ms |');
    console.log('|---|---|---|---|');
    for (const phase of PHASES) {
      const v = phaseMs[phase];
      console.log(
        `| ${phase} | ${percentile(v, 50).toFixed(0)} | ${percentile(v, 95).toFixed(0)} | ${Math.max(...v).toFixed(0)} |`,
      );
    }
    console.log('');
    console.log("| boot segment (per agent boot, from the sim's boot log) | boots | p50 ms | p95 ms | total s |");
    console.log('|---|---|---|---|---|');
    for (const [name, v] of Object.entries(where)) {
      console.log(
        `| ${name} | ${v.length} | ${percentile(v, 50).toFixed(0)} | ${percentile(v, 95).toFixed(0)} | ${(v.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} |`,
      );
    }
  } finally {
    clearInterval(sampler);
    await rig.close();
  }
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** A process's user + system CPU seconds so far, from /proc. */
function cpuSecondsOf(pid: number): number {
  // The fields after the command name (which may hold spaces), from field 3 on: utime and stime are 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** A process's peak resident set (VmHWM), bytes. */
function peakRssOf(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/**
 * Splits every boot of every host into segments from the sim's boot log (each
 * step stamped when it finished): power-on/firmware → TFTP boot file done →
 * iPXE script → kernel and ramdisk read → agent's lookup answered → last step
 * of that boot (the agent's commands and the heartbeats it waits between).
 */
async function whereTheTimeGoes(rig: ProvisionRig, names: readonly string[]): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {
    'firmware → TFTP boot file received': [],
    'TFTP → iPXE script fetched (HTTP)': [],
    'script → kernel + ramdisk read (HTTP Range)': [],
    'ramdisk → agent lookup answered': [],
    'lookup → last agent step of the boot (commands, heartbeat waits)': [],
  };
  await inParallel(names, 10, async (name) => {
    const seen = await simHost(rig.sim, name);
    const byBoot = new Map<number, BootStep[]>();
    for (const s of seen.bootSteps) byBoot.set(s.boot, [...(byBoot.get(s.boot) ?? []), s]);
    for (const steps of byBoot.values()) {
      const at = (kind: string) => {
        const s = steps.find((x) => x.kind === kind && x.outcome === 'ok');
        return s === undefined ? null : Date.parse(s.at);
      };
      const firmware = at('firmware');
      const tftp = at('tftp');
      const script = at('script');
      const initrd = at('initrd') ?? at('kernel');
      const lookup = at('lookup');
      if (firmware === null || tftp === null || script === null || initrd === null || lookup === null) continue;
      const last = Math.max(...steps.map((s) => Date.parse(s.at)));
      out['firmware → TFTP boot file received']!.push(tftp - firmware);
      out['TFTP → iPXE script fetched (HTTP)']!.push(script - tftp);
      out['script → kernel + ramdisk read (HTTP Range)']!.push(initrd - script);
      out['ramdisk → agent lookup answered']!.push(lookup - initrd);
      out['lookup → last agent step of the boot (commands, heartbeat waits)']!.push(last - lookup);
    }
  });
  return out;
}

await main();
