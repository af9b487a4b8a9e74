/**
 * Power-status queries per second against one simulated fleet, in one run:
 * Anvil's IpmiClient (one session reused; one host sequentially, then one
 * client per host in parallel) against `ipmitool -I lanplus -C 3 ... chassis
 * power status` spawned once per query, as Ironic's ipmitool driver does.
 * Usage: npx tsx bench/ipmi-power-status.ts [anvil calls] [hosts] [ipmitool calls]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { IpmiClient } from '../bmc-drivers/ipmi/index.js';
import { startSimFleet } from '../sim/fleet-runner.js';
import { createFleet, type SimManifestHost } from '../sim/host/index.js';

const ANVIL_CALLS = Number(process.argv[2] ?? 5000);
const HOSTS = Number(process.argv[3] ?? 8);
const IPMITOOL_CALLS = Number(process.argv[4] ?? 100);
const run = promisify(execFile);

interface Row {
  what: string;
  queries: number;
  seconds: number;
  latenciesMs: number[];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function clientFor(host: SimManifestHost): IpmiClient {
  const address = new URL(host.ipmi.address);
  return new IpmiClient({
    host: address.hostname,
    port: Number(address.port),
    username: host.ipmi.username,
    password: host.ipmi.password,
    cipherSuite: 3,
  });
}

/** `calls` sequential queries on one client; returns each query's latency. */
async function sequential(client: IpmiClient, calls: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await client.getPowerState();
    latencies.push(performance.now() - started);
  }
  return latencies;
}

async function timed(what: string, queries: number, work: () => Promise<number[]>): Promise<Row> {
  const started = performance.now();
  const latenciesMs = await work();
  return { what, queries, seconds: (performance.now() - started) / 1000, latenciesMs };
}

async function main(): Promise<void> {
  const sim = await startSimFleet({ fleet: createFleet({ count: HOSTS }) });
  const clients = sim.manifest.hosts.map(clientFor);
  const rows: Row[] = [];
  try {
    // Sessions are opened before timing: a conductor keeps its sessions.
    await Promise.all(clients.map((c) => c.getPowerState()));
    const first = clients[0] as IpmiClient;
    rows.push(
      await timed('IpmiClient, 1 host, sequential, session reused', ANVIL_CALLS, () => sequential(first, ANVIL_CALLS)),
    );
    const perHost = Math.ceil(ANVIL_CALLS / HOSTS);
    rows.push(
      await timed(`IpmiClient, ${HOSTS} hosts in parallel, session reused`, perHost * HOSTS, async () =>
        (await Promise.all(clients.map((c) => sequential(c, perHost)))).flat(),
      ),
    );
    const host = sim.manifest.hosts[0] as SimManifestHost;
    const address = new URL(host.ipmi.address);
    const args = [
      '-I',
      'lanplus',
      '-C',
      '3',
      '-H',
      address.hostname,
      '-p',
      address.port,
      '-U',
      host.ipmi.username,
      '-P',
      host.ipmi.password,
      'chassis',
      'power',
      'status',
    ];
    rows.push(
      await timed('ipmitool -I lanplus -C 3, 1 host, one process per query', IPMITOOL_CALLS, async () => {
        const latencies: number[] = [];
        for (let i = 0; i < IPMITOOL_CALLS; i++) {
          const started = performance.now();
          const { stdout } = await run('ipmitool', args, { timeout: 30_000 });
          if (!stdout.includes('Chassis Power is')) throw new Error(`ipmitool said: ${stdout}`);
          latencies.push(performance.now() - started);
        }
        return latencies;
      }),
    );
    const sessions = sim.ipmi.reduce((sum, server) => sum + server.stats.sessionsOpened, 0);
    console.log(
      `${HOSTS} simulated hosts on 127.0.0.1, sim in this process; ${sessions} RMCP+ sessions opened in all\n`,
    );
    console.log('| client | queries | seconds | queries/s | p50 ms | p95 ms |');
    console.log('|---|---|---|---|---|---|');
    for (const row of rows) {
      const sorted = [...row.latenciesMs].sort((a, b) => a - b);
      console.log(
        `| ${row.what} | ${row.queries} | ${row.seconds.toFixed(2)} | ${(row.queries / row.seconds).toFixed(0)} | ${percentile(sorted, 50).toFixed(2)} | ${percentile(sorted, 95).toFixed(2)} |`,
      );
    }
    const rate = (row: Row | undefined): number => (row ? row.queries / row.seconds : Number.NaN);
    console.log(`\nIpmiClient sequential / ipmitool: ${(rate(rows[0]) / rate(rows[2])).toFixed(1)}x`);
    console.log(`IpmiClient ${HOSTS} hosts parallel / ipmitool: ${(rate(rows[1]) / rate(rows[2])).toFixed(1)}x`);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await sim.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
