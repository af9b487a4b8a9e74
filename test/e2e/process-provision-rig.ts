// The provision rig with Anvil out of the test's process: `anvil serve`
// processes on one database and data directory, listening on ports fixed for
// the rig's life, so that a process SIGKILLed and started again is where the
// hosts and their agents left it. The sim fleet stays in this process and
// network-boots against whichever process serves the boot files. Its
// `svc` is a TestService over the processes' REST API, so provision-rig's
// helpers (enrollForDeploy, createPool...) work on it unchanged.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { createTestDatabase, type EngineName, type TestDatabase } from '../support/engines.js';
import type { ApiResponse, TestService } from '../support/service.js';
import {
  API_UP,
  BOOT_UP,
  CONDUCTOR_UP,
  launchAnvilProcess,
  type AnvilProcess,
  type AnyServeRole,
} from './anvil-process.js';
import { HEARTBEAT_MS, putImage, type ProvisionRig } from './provision-rig.js';

export interface ProcessSpec {
  name: string;
  role: AnyServeRole;
  /** ANVIL_* settings of this process beyond the rig's shared ones. */
  env?: Record<string, string>;
}

export interface ProcessRigOptions {
  engine: EngineName;
  hosts: number;
  seed: number;
  /** Started in order, the first alone (it migrates the database), the rest together. */
  processes: readonly ProcessSpec[];
  /** ANVIL_* settings every process gets beyond the rig's own. */
  env?: Record<string, string>;
  /** A database the test made (a throwaway cluster's) instead of a new one on the machine's server. */
  database?: TestDatabase;
  /** The agents' heartbeat interval; default provision-rig's HEARTBEAT_MS. */
  heartbeatMs?: number;
  /** Runs the processes from the build (`LaunchOptions.fromBuild`). */
  fromBuild?: boolean;
}

export interface ProcessProvisionRig extends ProvisionRig {
  /** The processes running now, by name. */
  readonly processes: ReadonlyMap<string, AnvilProcess>;
  /** SIGKILLs a process: no close, no unregister, its locks and connections left as they were. */
  kill(name: string): Promise<void>;
  /** Starts a process again with the settings it had: same database, data directory and ports. */
  restart(name: string): Promise<AnvilProcess>;
}

/** What a process logs once it serves what its role runs: the boot services come last where it runs them. */
function readyMessageOf(role: AnyServeRole): string {
  if (role === 'all' || role === 'pxe') return BOOT_UP;
  return role === 'api' ? API_UP : CONDUCTOR_UP;
}

/**
 * Below Linux's ephemeral range (32768 and up), where no port-0 bind of
 * another test running beside this one can land: a port the rig holds
 * across a kill must still be free when its process starts again.
 */
const RIG_PORTS = { from: 20_000, to: 32_767 };

function bindTcp(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function bindUdp(port: number): Promise<DgramSocket | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(null));
    socket.bind(port, '127.0.0.1', () => resolve(socket));
  });
}

/** A random port of RIG_PORTS that `bind` takes now; the bound handle is kept until every port is chosen. */
async function pickPort<T>(bind: (port: number) => Promise<T | null>, taken: Set<number>): Promise<[number, T]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = RIG_PORTS.from + Math.floor(Math.random() * (RIG_PORTS.to - RIG_PORTS.from + 1));
    if (taken.has(port)) continue;
    const handle = await bind(port);
    if (handle === null) continue;
    taken.add(port);
    return [port, handle];
  }
  throw new Error(`no free port found in ${RIG_PORTS.from}-${RIG_PORTS.to}`);
}

/**
 * Ports free now on loopback, for processes started later (and started
 * again after a kill, which port 0 would not give). All are held until all
 * are chosen, so no two are the same.
 */
async function freePorts(): Promise<{ api: number; http: number; tftp: number }> {
  const taken = new Set<number>();
  const [api, apiServer] = await pickPort(bindTcp, taken);
  const [http, httpServer] = await pickPort(bindTcp, taken);
  const [tftp, tftpSocket] = await pickPort(bindUdp, taken);
  await Promise.all([
    ...[apiServer, httpServer].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    new Promise<void>((resolve) => tftpSocket.close(resolve)),
  ]);
  return { api, http, tftp };
}

async function requestOn(
  baseUrl: string,
  method: string,
  urlPath: string,
  body?: unknown,
  version: string | null = '1.78',
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const h: Record<string, string> = { ...headers };
  if (version !== null) h['X-OpenStack-Ironic-API-Version'] = version;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    h['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(`${baseUrl}${urlPath}`, { method, headers: h, body: payload });
  const text = await res.text();
  let parsed: unknown = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/**
 * The database and data directory (with the agent kernel and ramdisk and an
 * image, as provision-rig writes them), the processes, then the fleet, whose
 * hosts boot from the rig's TFTP and HTTP ports and whose agents call the
 * API's.
 */
export async function startProcessProvisionRig(options: ProcessRigOptions): Promise<ProcessProvisionRig> {
  const runs = (roles: readonly AnyServeRole[]) => options.processes.some((p) => roles.includes(p.role));
  if (!runs(['all', 'api']) || !runs(['all', 'pxe']))
    throw new Error('the rig needs a process that runs the API and one that runs the boot services');
  const db: TestDatabase = options.database ?? (await createTestDatabase(options.engine));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-procs-'));
  const { api: apiPort, http: httpPort, tftp: tftpPort } = await freePorts();
  const url = `http://127.0.0.1:${apiPort}`;
  const bootUrl = `http://127.0.0.1:${httpPort}`;
  const shared: Record<string, string> = {
    ANVIL_DATABASE_URL: db.url,
    // Credentials and agent tokens are sealed at rest: every process, and every restart, must read what another wrote.
    ANVIL_SECRET_KEY: randomBytes(32).toString('hex'),
    ANVIL_DATA_DIR: dataDir,
    // The rig reads `info` lines to know when a process is up.
    ANVIL_LOG_LEVEL: 'info',
    ANVIL_API_HOST: '127.0.0.1',
    ANVIL_API_PORT: String(apiPort),
    // What agents are told, from whichever process renders their boot script.
    ANVIL_API_PUBLIC_URL: url,
    ANVIL_HTTP_HOST: '127.0.0.1',
    ANVIL_HTTP_PORT: String(httpPort),
    ANVIL_TFTP_PORT: String(tftpPort),
    // startTestService's and provision-rig's: short sweeps, quick BMC failures, short agent waits.
    ANVIL_CONDUCTOR_SWEEP_INTERVAL: '0.2',
    ANVIL_BMC_TIMEOUT: '2',
    ANVIL_BMC_ATTEMPTS: '2',
    ANVIL_BMC_RETRY_DELAY: '0.1',
    ANVIL_AGENT_HEARTBEAT_TIMEOUT: '10',
    ANVIL_CHECK_PROVISION_STATE_INTERVAL: '1',
    ANVIL_POWER_STATE_CHANGE_TIMEOUT: '5',
    ...options.env,
  };
  const bootFiles = path.join(dataDir, 'boot');
  mkdirSync(bootFiles, { recursive: true });
  mkdirSync(path.join(dataDir, 'images'), { recursive: true });
  writeFileSync(path.join(bootFiles, 'ipa.kernel'), randomBytes(6 * 1024));
  writeFileSync(path.join(bootFiles, 'ipa.initramfs'), randomBytes(8 * 1024));

  const logs: string[] = [];
  const running = new Map<string, AnvilProcess>();
  const launch = async (spec: ProcessSpec): Promise<AnvilProcess> => {
    const started = await launchAnvilProcess(
      spec.name,
      spec.role,
      { ...shared, ...spec.env },
      {
        readyMessage: readyMessageOf(spec.role),
        onLine: (line) => logs.push(`${spec.name}: ${line}`),
        fromBuild: options.fromBuild ?? false,
      },
    );
    running.set(spec.name, started);
    return started;
  };
  const stopAll = async () => {
    await Promise.all([...running.values()].map((p) => p.kill('SIGKILL')));
    running.clear();
  };
  const cleanUp = async () => {
    await stopAll();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };

  let sim: SimFleet;
  try {
    const [first, ...rest] = options.processes;
    await launch(first!);
    await Promise.all(rest.map(launch));
    if (!logs.some((line) => line.includes(BOOT_UP) && line.includes(`"tftp_port":${tftpPort}`))) {
      // Hosts PXE-boot here for real: without Debian's ipxe package there is no boot file to serve.
      throw new Error('Anvil started without TFTP (no /usr/lib/ipxe?): install the ipxe package');
    }
    const leases = new Map<string, string>();
    sim = await startSimFleet({
      fleet: createFleet({ count: options.hosts, seed: options.seed }),
      redfishPort: 0,
      ipmiBasePort: 0,
      boot: {
        httpUrl: bootUrl,
        tftpServer: { host: '127.0.0.1', port: tftpPort },
        agent: {
          heartbeatIntervalMs: options.heartbeatMs ?? HEARTBEAT_MS,
          lookupInitialMs: 50,
          lookupMaxMs: 500,
          imageStallTimeoutMs: 5_000,
          // Longer than Anvil's longest throttle wait (5 s), which a host whose last agent kept failing has earned.
          httpTimeoutMs: 10_000,
        },
        // About a PXE ROM's patience (seconds; provision-rig's 2 s fails fast on purpose): a process
        // restarted within it serves the host that asked while it was down.
        tftp: { timeoutMs: 1_000, retries: 9 },
        scriptSleepScale: 0.01,
        leaseAddress: (mac) => leases.get(mac) ?? null,
      },
    });
    const svc: TestService = {
      url,
      bootUrl,
      tftpPort,
      db,
      dataDir,
      logs,
      request: (method, urlPath, body, version, headers) => requestOn(url, method, urlPath, body, version, headers),
      close: cleanUp,
    };
    return {
      sim,
      svc,
      deployImages: { deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'ipa.initramfs' },
      image: putImage(svc, 'disk.img', 256 * 1024),
      leases,
      processes: running,
      async kill(name) {
        const victim = running.get(name);
        if (victim === undefined) throw new Error(`no process ${name} is running`);
        await victim.kill('SIGKILL');
        running.delete(name);
      },
      async restart(name) {
        const spec = options.processes.find((p) => p.name === name);
        if (spec === undefined) throw new Error(`the rig has no process ${name}`);
        if (running.has(name)) throw new Error(`${name} is still running`);
        return launch(spec);
      },
      async close() {
        // The sim first: its agents would otherwise heartbeat into closed processes.
        await sim.close();
        await cleanUp();
      },
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}
