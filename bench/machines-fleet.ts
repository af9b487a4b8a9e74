/**
 * Cluster API machines at fleet scale (issue 15): N Redfish sim hosts
 * (default 1,000) enrolled and made `available` (no cleaning, that is the
 * set-up), then N machines created at once; measured: the time until every
 * machine is `provisioned` (each a real network boot of the agent and an
 * image write by the fake agent), the CPU spent per machine, and how long
 * the change feed takes to deliver each change to FOLLOWERS Server-Sent
 * Events followers (from the change's `created_at`, taken inside its
 * transaction just before the commit, to the moment a follower parsed it).
 * Built on test/e2e/provision-rig.ts: Anvil, the sim fleet, the followers and
 * this client share one Node process, so CPU and latency are the whole
 * process's: an upper bound for Anvil's.
 * Usage: npx tsx bench/machines-fleet.ts [hosts] [followers]
 */
import {
  createPool,
  enrollForDeploy,
  settlesIn,
  startProvisionRig,
  type ProvisionRig,
} from '../test/e2e/provision-rig.js';
import { inParallel, provision } from '../test/e2e/sim-nodes.js';
import { percentile } from './anvil-fleet.js';

const HOSTS = Number(process.argv[2] ?? 1000);
const FOLLOWERS = Number(process.argv[3] ?? 10);
/** Enrolment and machine creation keep this many requests in flight. */
const CONCURRENCY = 50;
/** The whole machine phase, bounded: past this the bench stops and says how far it got. */
const RUN_MS = 20 * 60_000;
const MACHINE_POOL = 'bench-machines';

interface FeedEvent {
  cursor: string;
  kind: string;
  action: string;
  uuid: string;
  data: Record<string, unknown>;
  created_at: string;
}

/**
 * One SSE follower of `/v1/anvil/events/stream`: records each event's
 * delivery latency and hands it to `onEvent`; stops when `stop` aborts.
 */
async function follow(
  url: string,
  stop: AbortSignal,
  latencies: number[],
  onEvent: (e: FeedEvent) => void,
): Promise<void> {
  const res = await fetch(`${url}/v1/anvil/events/stream?since=now`, { signal: stop });
  if (res.status !== 200 || res.body === null) throw new Error(`stream answered ${res.status}`);
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of res.body) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data === undefined) continue;
        const event = JSON.parse(data.slice(6)) as FeedEvent;
        latencies.push(Date.now() - Date.parse(event.created_at));
        onEvent(event);
      }
    }
  } catch (err) {
    if (!stop.aborted) throw err;
  }
}

async function makeAvailable(rig: ProvisionRig): Promise<void> {
  const pools = Math.ceil(HOSTS / 240);
  for (let p = 0; p < pools; p++) await createPool(rig.svc, `bench-prov-${p}`, `127.${60 + p}.0.0`);
  // One pool for the machines' own addresses, big enough for all of them.
  const created = await rig.svc.request('POST', '/v1/ipam/pools', {
    name: MACHINE_POOL,
    prefix: 20,
    gateway: '127.112.0.1',
    dns_servers: ['127.112.0.2'],
    ranges: [{ start: '127.112.0.10', end: '127.112.15.250' }],
  });
  if (created.status !== 201) throw new Error(`pool: ${created.status} ${created.text}`);
  await inParallel(rig.sim.manifest.hosts, CONCURRENCY, async (_host, i) => {
    const { uuid } = await enrollForDeploy(rig, i, 'redfish', `bench-prov-${Math.floor(i / 240)}`, {
      automated_clean: false,
      extra: { rack: 'r1', failure_domain: i % 2 === 0 ? 'a' : 'b' },
    });
    for (const [target, state] of [
      ['manage', 'manageable'],
      ['provide', 'available'],
    ] as const) {
      const res = await provision(rig.svc, uuid, { target });
      if (res.status !== 202) throw new Error(`${target} ${uuid}: ${res.status} ${res.text}`);
      await settlesIn(rig.svc, uuid, state, 120_000, 250);
    }
  });
}

async function main(): Promise<void> {
  const rig = await startProvisionRig({
    hosts: HOSTS,
    seed: 1515,
    heartbeatMs: 1000,
    env: {
      ANVIL_DEPLOY_CALLBACK_TIMEOUT: '300',
      ANVIL_AGENT_HEARTBEAT_TIMEOUT: '60',
      ANVIL_API_MAX_LIMIT: '10000',
      // Anvil's own BMC defaults, not the test suite's 2 s: a thousand deploys starting at once share one event loop with the sim's BMCs.
      ANVIL_BMC_TIMEOUT: '60',
      ANVIL_BMC_ATTEMPTS: '3',
      ANVIL_BMC_RETRY_DELAY: '1',
    },
  });
  const stop = new AbortController();
  try {
    const setupStarted = performance.now();
    await makeAvailable(rig);
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    const latencies: number[][] = Array.from({ length: FOLLOWERS }, () => []);
    const phases = new Map<string, string>();
    let allProvisioned: () => void = () => undefined;
    let failed: (err: Error) => void = () => undefined;
    const provisioned = new Promise<void>((resolve, reject) => {
      allProvisioned = resolve;
      failed = reject;
    });
    const followers = latencies.map((l, f) =>
      follow(rig.svc.url, stop.signal, l, (e) => {
        // The first follower is the bench's only view of progress: no listing while it runs.
        if (f !== 0 || e.kind !== 'machine') return;
        phases.set(e.uuid, e.action === 'deleted' ? 'deleted' : String(e.data.phase));
        if (e.data.phase === 'failed')
          failed(new Error(`${String(e.data.name)} failed: ${String(e.data.failure_message)}`));
        if (phases.size === HOSTS && [...phases.values()].every((p) => p === 'provisioned')) allProvisioned();
      }),
    );
    // Let every stream open before the first change.
    await new Promise((r) => setTimeout(r, 500));

    const cpu0 = process.cpuUsage();
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
    const started = performance.now();
    const progress = setInterval(() => {
      const done = [...phases.values()].filter((p) => p === 'provisioned').length;
      console.error(`  ${done}/${HOSTS} provisioned after ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }, 30_000);
    let createdSeconds = 0;
    try {
      await inParallel(rig.sim.manifest.hosts, CONCURRENCY, async (_host, i) => {
        const res = await rig.svc.request('POST', '/v1/anvil/machines', {
          name: `m-${i}`,
          spec: {
            cluster: 'bench',
            role: 'worker',
            host_selector: { match_labels: { rack: 'r1' } },
            image: { url: rig.image.url, checksum: rig.image.sha256, checksum_type: 'sha256', disk_format: 'raw' },
            user_data: `#cloud-config\nhostname: m-${i}\n`,
            data_template: { networks: [{ pool: MACHINE_POOL }], meta_data: { cluster: 'bench' } },
          },
        });
        if (res.status !== 201) throw new Error(`machine m-${i}: ${res.status} ${res.text}`);
      });
      createdSeconds = (performance.now() - started) / 1000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        provisioned,
        new Promise((_r, reject) => {
          timer = setTimeout(() => reject(new Error(`not all provisioned within ${RUN_MS / 1000} s`)), RUN_MS);
        }),
      ]).finally(() => clearTimeout(timer));
    } finally {
      clearInterval(progress);
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);

    // The feed's view is checked against a listing once, at the end.
    const listed = await rig.svc.request('GET', '/v1/anvil/machines?limit=10000');
    const machines = listed.body.machines as { status: { phase: string; node_uuid: string } }[];
    const hostsUsed = new Set(machines.map((m) => m.status.node_uuid));
    if (machines.some((m) => m.status.phase !== 'provisioned') || hostsUsed.size !== HOSTS)
      throw new Error('the listing disagrees with the feed: not every machine is provisioned on its own host');

    const all = latencies.flat();
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    console.log(
      `set-up: ${HOSTS} Redfish sim hosts enrolled and available (no cleaning) in ${setupSeconds.toFixed(1)} s`,
    );
    console.log(
      `${HOSTS} machines created (${CONCURRENCY} requests in flight) in ${createdSeconds.toFixed(1)} s; ` +
        `all provisioned after ${seconds.toFixed(1)} s (${((HOSTS / seconds) * 60).toFixed(0)} machines/min)`,
    );
    console.log(
      `process (Anvil + sim fleet + followers + client): ${cpuSeconds.toFixed(1)} CPU s ` +
        `(${((cpuSeconds / HOSTS) * 1000).toFixed(0)} ms per machine), peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`,
    );
    console.log(
      `feed: ${all.length} deliveries to ${FOLLOWERS} SSE followers (${latencies[0]!.length} events each); ` +
        `latency created_at → parsed: p50 ${percentile(all, 50).toFixed(0)} ms, p95 ${percentile(all, 95).toFixed(0)} ms, ` +
        `max ${all.reduce((a, b) => Math.max(a, b), 0).toFixed(0)} ms`,
    );
    stop.abort();
    await Promise.allSettled(followers);
  } finally {
    stop.abort();
    await rig.close();
  }
}

await main();
