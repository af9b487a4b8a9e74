/**
 * An idle conductor's footprint: 5,000 manageable sim hosts (half Redfish,
 * half IPMI) on PostgreSQL (or SQLite), owned by one `anvil serve --role conductor`
 * process with default settings except the stated power sync interval.
 * The fleet is enrolled and managed first by a separate `--role all`
 * process, which is then stopped, so the conductor measured has only its own
 * work: heartbeats, sweeps every 2 s, and power sync passes. Reports its RSS
 * after settling and at the end, and the CPU seconds it used over the window.
 * Usage: npx tsx bench/conductor-idle.ts [hosts] [power sync interval s] [window s] [postgres|sqlite]
 */
import { startSimFleet } from '../sim/fleet-runner.js';
import { createFleet } from '../sim/host/index.js';
import type { EngineName } from '../test/support/engines.js';
import { createWorkspace, drivePlan, enrollFleet, processUsage, startAnvil } from './anvil-fleet.js';

const HOSTS = Number(process.argv[2] ?? 5000);
const SYNC_INTERVAL_S = Number(process.argv[3] ?? 60);
const WINDOW_S = Number(process.argv[4] ?? 150);
const ENGINE = (process.argv[5] ?? 'postgres') as EngineName;
const SETTLE_S = 20;

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

async function main(): Promise<void> {
  const sim = await startSimFleet({
    fleet: createFleet({ count: HOSTS, seed: 9 }),
    credentials: { username: 'admin', password: 'bench' },
  });
  const ws = await createWorkspace(ENGINE);
  try {
    const setup = await startAnvil(ws, 'setup', 'all', { ANVIL_POWER_SYNC_INTERVAL: '0' });
    try {
      const { uuids } = await enrollFleet(setup.url!, sim.manifest.hosts, (i) => (i % 2 === 0 ? 'redfish' : 'ipmi'));
      await drivePlan(setup.url!, uuids, [['manage', 'manageable']], { pollMs: 250 });
    } finally {
      await setup.kill('SIGTERM');
    }
    const conductor = await startAnvil(ws, 'idle-conductor', 'conductor', {
      ANVIL_POWER_SYNC_INTERVAL: String(SYNC_INTERVAL_S),
    });
    try {
      const started = processUsage(conductor.pid);
      await sleep(SETTLE_S);
      const settled = processUsage(conductor.pid);
      await sleep(WINDOW_S);
      const end = processUsage(conductor.pid);
      const bmcCalls = sim.fleet.hosts.reduce((n, h) => n + h.history.length, 0);
      console.log(
        `| hosts | power sync interval s | RSS at start MB | RSS after ${SETTLE_S} s MB | RSS after ${SETTLE_S + WINDOW_S} s MB | CPU s over ${WINDOW_S} s | mean CPU % |`,
      );
      console.log('|---|---|---|---|---|---|---|');
      const cpu = end.cpuSeconds - settled.cpuSeconds;
      console.log(
        `| ${HOSTS} | ${SYNC_INTERVAL_S} | ${started.rssMb.toFixed(0)} | ${settled.rssMb.toFixed(0)} | ${end.rssMb.toFixed(0)} | ${cpu.toFixed(1)} | ${((cpu / WINDOW_S) * 100).toFixed(1)} |`,
      );
      console.log(
        `BMC commands the sim saw in all (setup included): ${bmcCalls}; conductor warnings: ${JSON.stringify([...new Set(conductor.warnings)])}`,
      );
    } finally {
      await conductor.kill('SIGTERM');
    }
  } finally {
    await sim.close();
    await ws.close();
  }
}

await main();
