/**
 * Lifecycle throughput: 500 sim hosts (half Redfish, half IPMI) enrolled
 * through the REST API, then each carried manage → provide → deploy (to wait
 * call-back) → deleted → available at its own pace by a client with at most
 * 32 requests in flight, against one `anvil serve` process (API and conductor)
 * on the default SQLite database. Reports the total, nodes per minute, and
 * p50/p95 of each phase per node (request sent → the listing, polled every
 * 100 ms, shows it done).
 * Usage: npx tsx bench/lifecycle-throughput.ts [hosts] [sqlite|postgres]
 */
import { startSimFleet } from '../sim/fleet-runner.js';
import { createFleet } from '../sim/host/index.js';
import type { EngineName } from '../test/support/engines.js';
import {
  createWorkspace,
  drivePlan,
  enrollFleet,
  percentile,
  processUsage,
  startAnvil,
  type Plan,
} from './anvil-fleet.js';

const HOSTS = Number(process.argv[2] ?? 500);
const ENGINE = (process.argv[3] ?? 'sqlite') as EngineName;
const PLAN: Plan = [
  ['manage', 'manageable'],
  ['provide', 'available'],
  ['active', 'wait call-back'],
  ['deleted', 'available'],
];

async function main(): Promise<void> {
  const sim = await startSimFleet({
    fleet: createFleet({ count: HOSTS, seed: 7 }),
    credentials: { username: 'admin', password: 'bench' },
  });
  const ws = await createWorkspace(ENGINE);
  const anvil = await startAnvil(ws, 'bench-all', 'all', { ANVIL_POWER_SYNC_INTERVAL: '0' });
  try {
    const started = performance.now();
    const { uuids, latenciesMs } = await enrollFleet(anvil.url!, sim.manifest.hosts, (i) =>
      i % 2 === 0 ? 'redfish' : 'ipmi',
    );
    const enrolled = performance.now();
    const { stepMs, retried } = await drivePlan(anvil.url!, uuids, PLAN);
    const seconds = (performance.now() - started) / 1000;
    const usage = processUsage(anvil.pid);
    console.log(
      `${HOSTS} hosts, ${ENGINE}: enroll → available in ${seconds.toFixed(1)} s (${((HOSTS / seconds) * 60).toFixed(0)} nodes/min); ` +
        `enrolment ${((enrolled - started) / 1000).toFixed(1)} s; ${retried} requests answered 503/409 and re-sent; ` +
        `anvil process: ${usage.cpuSeconds.toFixed(1)} CPU s, RSS ${usage.rssMb.toFixed(0)} MB`,
    );
    console.log('| phase | p50 ms | p95 ms | max ms |');
    console.log('|---|---|---|---|');
    const row = (name: string, values: number[]) =>
      console.log(
        `| ${name} | ${percentile(values, 50).toFixed(0)} | ${percentile(values, 95).toFixed(0)} | ${Math.max(...values).toFixed(0)} |`,
      );
    row('enroll (POST /v1/nodes)', latenciesMs);
    PLAN.forEach(([target, rest], i) => row(`${target} → ${rest}`, stepMs[i]!));
  } finally {
    await anvil.kill('SIGTERM');
    await sim.close();
    await ws.close();
  }
}

await main();
