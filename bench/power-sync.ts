/**
 * Power sync pass duration: one conductor (`anvil serve`, API and conductor
 * in one process) owning 1,000 and 5,000 manageable sim hosts, all Redfish or
 * all IPMI, with 8 (the default), 32 and 128 power sync workers. Each pass is
 * read from the `anvil_power_sync_pass_duration_seconds` histogram on
 * /metrics (the change of its sum when its count moves by one). Passes run
 * 2 s apart; the first after a restart also opens every BMC session or
 * connection, so it is shown apart from the steady ones.
 * Usage: npx tsx bench/power-sync.ts [sizes, e.g. 1000,5000] [sqlite|postgres] [workers, e.g. 8,32,128] [redfish,ipmi]
 */
import { Agent, setGlobalDispatcher } from 'undici';
import { startSimFleet } from '../sim/fleet-runner.js';
import { createFleet } from '../sim/host/index.js';
import type { EngineName } from '../test/support/engines.js';
import { createWorkspace, drivePlan, enrollFleet, metric, startAnvil, type Protocol } from './anvil-fleet.js';

const SIZES = (process.argv[2] ?? '1000,5000').split(',').map(Number);
const ENGINE = (process.argv[3] ?? 'sqlite') as EngineName;
const WORKERS = (process.argv[4] ?? '8,32,128').split(',').map(Number);
const PROTOCOLS = (process.argv[5] ?? 'redfish,ipmi').split(',') as Protocol[];
const PASSES = 3;

// A connection per request to anvil's API: anvil's event loop stalls for
// seconds while it manages 5,000 nodes, and when it comes back its keep-alive
// timer can close a kept connection a request is already waiting on ("other
// side closed"), which killed the run in its set-up.
setGlobalDispatcher(
  new Agent().compose((dispatch) => (options, handler) => dispatch({ ...options, reset: true }, handler)),
);
const SUM = 'anvil_power_sync_pass_duration_seconds_sum';
const COUNT = 'anvil_power_sync_pass_duration_seconds_count';

/** Waits for `passes` passes and returns each one's seconds. */
async function passDurations(url: string, passes: number, timeoutMs: number): Promise<number[]> {
  const seconds: number[] = [];
  let count = await metric(url, COUNT);
  let sum = await metric(url, SUM);
  const deadline = Date.now() + timeoutMs;
  while (seconds.length < passes) {
    if (Date.now() > deadline) throw new Error(`only ${seconds.length} power sync passes within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
    const c = await metric(url, COUNT);
    if (c === count) continue;
    const s = await metric(url, SUM);
    // Polled every 100 ms and passes are 2 s apart: one pass per change.
    seconds.push((s - sum) / (c - count));
    count = c;
    sum = s;
  }
  return seconds;
}

async function main(): Promise<void> {
  console.log(`| hosts | BMC | workers | first pass s | steady pass s (mean of ${PASSES - 1}) | nodes/s steady |`);
  console.log('|---|---|---|---|---|---|');
  for (const size of SIZES) {
    for (const protocol of PROTOCOLS) {
      const sim = await startSimFleet({
        fleet: createFleet({ count: size, seed: 3 }),
        credentials: { username: 'admin', password: 'bench' },
      });
      const ws = await createWorkspace(ENGINE);
      try {
        // Enrol and manage with power sync off, so every pass measured below starts on a settled fleet.
        const setup = await startAnvil(ws, 'bench-conductor', 'all', { ANVIL_POWER_SYNC_INTERVAL: '0' });
        try {
          const { uuids } = await enrollFleet(setup.url!, sim.manifest.hosts, () => protocol);
          await drivePlan(setup.url!, uuids, [['manage', 'manageable']], { pollMs: 250 });
        } finally {
          await setup.kill('SIGTERM');
        }
        for (const workers of WORKERS) {
          const anvil = await startAnvil(ws, 'bench-conductor', 'all', {
            ANVIL_POWER_SYNC_INTERVAL: '2',
            ANVIL_POWER_SYNC_WORKERS: String(workers),
          });
          try {
            const [first, ...steady] = await passDurations(anvil.url!, PASSES, 600_000);
            const mean = steady.reduce((a, b) => a + b, 0) / steady.length;
            console.log(
              `| ${size} | ${protocol} | ${workers} | ${first!.toFixed(2)} | ${mean.toFixed(2)} | ${(size / mean).toFixed(0)} |`,
            );
          } catch (err) {
            console.error(`anvil's last lines:\n${anvil.lines.slice(-20).join('\n')}`);
            throw err;
          } finally {
            await anvil.kill('SIGTERM');
          }
        }
      } finally {
        await sim.close();
        await ws.close();
      }
    }
  }
}

await main();
