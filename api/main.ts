import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BmcDriverRegistry } from '../bmc-drivers/index.js';
import { AgentClient } from '../services/agent/client.js';
import { RamdiskService } from '../services/agent/ramdisk.js';
import { configDriveEncoder } from '../services/deploy/config-drive.js';
import { IpamService } from '../ipam/index.js';
import { AllocationRepository } from '../services/allocations/repository.js';
import { AllocationService } from '../services/allocations/service.js';
import { BmcRuntime } from '../services/conductor/bmc-runtime.js';
import { DriverCache } from '../services/conductor/driver-cache.js';
import { PeriodicTasks } from '../services/conductor/periodic-tasks.js';
import {
  ConductorMembership,
  ConductorService,
  fakeHardware,
  Intake,
  NodeLocks,
  Placement,
  Worker,
  type HardwareRuntime,
} from '../services/conductor/index.js';
import { NodeBootBackend } from '../services/boot/boot-backend.js';
import { startBootServices, type BootServices } from '../services/boot/boot-services.js';
import { checkApiExposure, ConfigError, type AnvilConfig } from '../services/config.js';
import { migrateToLatest, openDatabase, redactUrl } from '../services/db/index.js';
import { NodeHistory } from '../services/events/history.js';
import { NodeHardware } from '../services/hardware/node-hardware.js';
import { InventoryStore } from '../services/inspect/inventory.js';
import { NodeAddresses, networkDataFor, releaseNodeAddresses } from '../services/ipam/node-addresses.js';
import { createLogger, type Logger } from '../services/logger.js';
import { Metrics } from '../services/metrics.js';
import { NodeRepository } from '../services/nodes/repository.js';
import { NodeService } from '../services/nodes/service.js';
import { PortRepository } from '../services/ports/repository.js';
import { PortService } from '../services/ports/service.js';
import { SecretBox } from '../services/secrets/index.js';
import { createApp } from './app.js';

/** What this process runs: everything (the default), or only the HTTP API, a conductor, or the network boot services. */
export type Role = 'all' | 'api' | 'conductor' | 'pxe';

export interface RunningService {
  /** The API's base URL; null when this process runs no API. */
  url: string | null;
  server: Server | null;
  /** The network boot services, when this process runs them. */
  boot: BootServices | null;
  close(): Promise<void>;
}

/** How long the API trusts its list of live conductors before reading it again. */
const PLACEMENT_TTL_MS = 1000;

/** The composition root of `anvil serve`: database, services, conductor and HTTP API, by role. */
export async function startService(
  config: AnvilConfig,
  { role = 'all', log = createLogger(config.logLevel) }: { role?: Role; log?: Logger } = {},
): Promise<RunningService> {
  const secrets = SecretBox.load(config.secretKey, config.dataDir);
  const db = openDatabase(config.database.url);
  try {
    await migrateToLatest(db.knex);
  } catch (err) {
    await db.close();
    throw err;
  }
  const name = config.conductor.name;
  const nodeRepo = new NodeRepository(db.knex, secrets);
  const portRepo = new PortRepository(db.knex);
  const history = new NodeHistory(db.knex, name);
  const metrics = new Metrics(nodeRepo);
  const drivers = new DriverCache(
    new BmcDriverRegistry({
      policy: {
        timeoutMs: config.bmc.attemptTimeoutSeconds * 1000,
        attempts: config.bmc.attempts,
        baseDelayMs: config.bmc.retryDelaySeconds * 1000,
        maxConcurrent: config.bmc.maxConcurrent,
      },
      onCall: (e) =>
        metrics.bmcCallDuration.observe({ driver: e.driver, operation: e.operation, outcome: e.outcome }, e.seconds),
    }),
  );
  const inventory = new InventoryStore(db.knex);
  const ipam = new IpamService(db.knex);
  const encodeConfigDrive = configDriveEncoder(async (node) => {
    const data = await networkDataFor(ipam, node, await portRepo.listForNode(node.id));
    return data.networks.length === 0 ? null : { ...data };
  });
  const bmc = new BmcRuntime(
    drivers,
    inventory,
    (node, macs) => portRepo.createMissing(node.id, macs),
    history,
    new AgentClient(config.agent.commandTimeoutSeconds * 1000),
    encodeConfigDrive,
    {
      powerTimeoutSeconds: config.conductor.powerTimeoutSeconds,
      automatedClean: config.conductor.automatedClean,
      addPorts: config.conductor.inspectAddPorts,
    },
  );
  const runtimes = new Map<string, HardwareRuntime>([
    ['fake-hardware', fakeHardware],
    ['redfish', bmc],
    ['idrac', bmc],
    ['ipmi', bmc],
  ]);
  const membership = new ConductorMembership(db.knex, config.conductor.heartbeatTimeoutSeconds);
  const placement = new Placement(membership, PLACEMENT_TTL_MS);

  let conductor: ConductorService | null = null;
  let worker: Worker | null = null;
  if (role === 'all' || role === 'conductor') {
    worker = new Worker(name, nodeRepo, runtimes, history, config.conductor.workers, metrics, log);
    const c = config.conductor;
    // Each part of a process locks under a name of its own (`name:part`), so a
    // worker's sweep never mistakes a sync's or a request's lock for work handed to it.
    const periodic = new PeriodicTasks(
      `${name}:sync`,
      nodeRepo,
      drivers,
      history,
      metrics,
      {
        drivers: ['redfish', 'idrac', 'ipmi'],
        forcePowerState: c.forcePowerStateDuringSync,
        maxPowerFailures: c.powerSyncMaxRetries,
        syncWorkers: c.powerSyncWorkers,
        waitTimeouts: {
          'wait call-back': c.deployCallbackTimeoutSeconds,
          'inspect wait': c.inspectWaitTimeoutSeconds,
          'clean wait': c.cleanCallbackTimeoutSeconds,
          'rescue wait': c.rescueCallbackTimeoutSeconds,
          'service wait': c.deployCallbackTimeoutSeconds,
        },
      },
      log,
    );
    conductor = new ConductorService(
      worker,
      c.group,
      membership,
      placement,
      nodeRepo,
      history,
      { heartbeatIntervalMs: c.heartbeatIntervalSeconds * 1000, sweepIntervalMs: c.sweepIntervalSeconds * 1000 },
      [
        { name: 'power sync', intervalMs: c.powerSyncIntervalSeconds * 1000, run: (mine) => periodic.syncPower(mine) },
        {
          name: 'power failure recovery',
          intervalMs: c.powerFailureRecoveryIntervalSeconds * 1000,
          run: (mine) => periodic.recoverPowerFailures(mine),
        },
        {
          name: 'wait timeouts',
          intervalMs: c.checkProvisionStateIntervalSeconds * 1000,
          run: (mine) => periodic.failTimedOutWaits(mine),
        },
      ],
      log,
    );
    await conductor.start();
    log.info({ conductor: name, group: config.conductor.group }, 'conductor started');
  }

  let server: Server | null = null;
  let url: string | null = null;
  if (role === 'all' || role === 'api') {
    checkApiExposure(config);
    const locks = new NodeLocks(nodeRepo, `${name}:api`, history, metrics);
    const nodes = new NodeService(nodeRepo, locks, history);
    const ports = new PortService(portRepo, nodes, locks);
    const intake = new Intake(nodeRepo, locks, placement, history, new Set(runtimes.keys()), worker);
    const allocations = new AllocationService(new AllocationRepository(db.knex), nodes, locks);
    metrics.trackIpamPools(ipam);
    const nodeAddresses = new NodeAddresses(ipam, nodes, ports);
    // A deleted node's addresses go back to their pools.
    nodes.onDeleted(async (node) => {
      await releaseNodeAddresses(ipam, node);
    });
    const app = createApp({
      config,
      log,
      metrics,
      nodes,
      ports,
      intake,
      placement,
      history,
      allocations,
      ipam,
      nodeAddresses,
      hardware: new NodeHardware(nodeRepo, locks, drivers, inventory),
      ramdisk: new RamdiskService(
        nodeRepo,
        nodes,
        portRepo,
        intake,
        inventory,
        config.agent.heartbeatTimeoutSeconds,
        config.conductor.inspectAddPorts === 'all',
      ),
    });
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.api.port, config.api.host, () => resolve(s));
      s.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    const host = config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host;
    url = `http://${host}:${port}`;
    log.info({ url, database: redactUrl(config.database.url), engine: db.engine }, 'anvil API listening');
  }

  let boot: BootServices | null = null;
  if (role === 'all' || role === 'pxe') {
    const apiUrl = config.boot.apiPublicUrl ?? url;
    if (apiUrl === null)
      throw new ConfigError(
        'invalid configuration ANVIL_API_PUBLIC_URL: the pxe role needs the URL agents reach the API at',
      );
    const backend = new NodeBootBackend(nodeRepo, portRepo, ipam, history, { apiUrl, bootFilesUrl: '' });
    boot = await startBootServices(config.boot, backend, metrics, log);
  }

  let closing: Promise<void> | null = null;
  return {
    url,
    server,
    boot,
    close() {
      closing ??= (async () => {
        await boot?.close();
        if (server) {
          const s = server;
          await new Promise<void>((resolve) => s.close(() => resolve()));
          s.closeAllConnections();
        }
        await conductor?.stop();
        await drivers.closeAll();
        await db.close();
      })();
      return closing;
    },
  };
}
