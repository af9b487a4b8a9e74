/**
 * Redfish power-state GETs per second against one simulated fleet, in one
 * run: Anvil's RedfishClient (keep-alive pool) against a client that opens a
 * fresh connection per request (`Connection: close`, no agent), over http
 * and over https (a throw-away self-signed certificate from openssl). Both
 * use basic auth and GET the same ComputerSystem; the sim runs in this process.
 * Usage: npx tsx bench/redfish-keepalive.ts [requests per row] [parallel]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedfish, getPowerState, type RedfishSystem } from '../bmc-drivers/redfish/index.js';
import { createFleet } from '../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../sim/redfish/index.js';

const REQUESTS = Number(process.argv[2] ?? 2000);
const PARALLEL = Number(process.argv[3] ?? 8);
const ROUNDS = 5;
const credentials = { username: 'admin', password: 'password' };
const SYSTEM_PATH = '/redfish/v1/Systems/sim-0';

interface Row {
  what: string;
  requests: number;
  seconds: number;
}

/** One GET on a connection of its own, closed after the answer. */
function freshGet(url: URL, ca: Buffer | undefined): Promise<string> {
  const secure = url.protocol === 'https:';
  const headers = {
    Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
    Accept: 'application/json',
    Connection: 'close',
  };
  return new Promise((resolve, reject) => {
    const request = secure
      ? https.request(url, { agent: false, headers, ...(ca ? { ca } : {}) })
      : http.request(url, { agent: false, headers });
    request.setTimeout(10_000, () => request.destroy(new Error(`GET ${url.pathname} timed out`)));
    request.on('error', reject);
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${url.pathname}: HTTP ${res.statusCode}`));
        else resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { PowerState: string }).PowerState);
      });
    });
    request.end();
  });
}

/** `total` calls, `lanes` at a time; returns the seconds taken. */
async function timed(total: number, lanes: number, call: () => Promise<unknown>): Promise<number> {
  const perLane = Math.ceil(total / lanes);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let i = 0; i < perLane; i++) await call();
    }),
  );
  return (performance.now() - started) / 1000;
}

/**
 * Both clients in alternating rounds, so that other work on the shared
 * cores slows both alike instead of whichever ran at the wrong moment.
 */
async function compare(
  label: string,
  lanes: number,
  keepAlive: () => Promise<unknown>,
  fresh: () => Promise<unknown>,
): Promise<Row[]> {
  const perRound = Math.ceil(REQUESTS / ROUNDS / lanes) * lanes;
  let keepAliveSeconds = 0;
  let freshSeconds = 0;
  for (let round = 0; round < ROUNDS; round++) {
    keepAliveSeconds += await timed(perRound, lanes, keepAlive);
    freshSeconds += await timed(perRound, lanes, fresh);
  }
  const how = lanes === 1 ? 'sequential' : `${lanes} in parallel`;
  return [
    { what: `${label}, RedfishClient keep-alive, ${how}`, requests: perRound * ROUNDS, seconds: keepAliveSeconds },
    { what: `${label}, fresh connection per request, ${how}`, requests: perRound * ROUNDS, seconds: freshSeconds },
  ];
}

async function measure(label: string, sim: RedfishSim, ca: Buffer | undefined): Promise<Row[]> {
  const system: RedfishSystem = await connectRedfish(`redfish+${sim.url}${SYSTEM_PATH}`, credentials, {
    auth: 'basic',
    ...(ca ? { ca } : {}),
  });
  const url = new URL(`${sim.url}${SYSTEM_PATH}`);
  const keepAlive = (): Promise<unknown> => getPowerState(system);
  const fresh = (): Promise<unknown> => freshGet(url, ca);
  try {
    for (let i = 0; i < 50; i++) {
      await keepAlive();
      await fresh();
    }
    return [...(await compare(label, 1, keepAlive, fresh)), ...(await compare(label, PARALLEL, keepAlive, fresh))];
  } finally {
    await system.client.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-bench-redfish-'));
  const rows: Row[] = [];
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    const cert = readFileSync(join(dir, 'cert.pem'));
    const fleet = createFleet({ count: 8 });
    const plain = await startRedfishSim({ fleet, credentials });
    try {
      rows.push(...(await measure('http', plain, undefined)));
    } finally {
      await plain.close();
    }
    const tls = await startRedfishSim({ fleet, credentials, tls: { cert, key: readFileSync(join(dir, 'key.pem')) } });
    try {
      rows.push(...(await measure('https', tls, cert)));
    } finally {
      await tls.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('| client | requests | seconds | requests/s |');
  console.log('|---|---|---|---|');
  for (const row of rows)
    console.log(
      `| ${row.what} | ${row.requests} | ${row.seconds.toFixed(2)} | ${(row.requests / row.seconds).toFixed(0)} |`,
    );
  const rate = (i: number): number => {
    const row = rows[i];
    return row ? row.requests / row.seconds : Number.NaN;
  };
  console.log('');
  for (const [index, label] of [
    [0, 'http sequential'],
    [2, `http ${PARALLEL} parallel`],
    [4, 'https sequential'],
    [6, `https ${PARALLEL} parallel`],
  ] as const) {
    console.log(`keep-alive / fresh connection, ${label}: ${(rate(index) / rate(index + 1)).toFixed(1)}x`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
