import path from 'node:path';
import { BmcDriverRegistry } from '../bmc-drivers/index.js';
import { IpamService } from '../ipam/index.js';
import { AgentClient } from '../services/agent/index.js';
import {
  BmcRuntime,
  DriverCache,
  ConductorMembership,
  fakeHardware,
  Placement,
  type HardwareRuntime,
} from '../services/conductor/index.js';
import { BiosSettingsCache, BiosSettingsRepository } from '../services/bios/index.js';
import { ConfigError, settings, type AnvilConfig } from '../services/config/index.js';
import { migrateToLatest, openDatabase, redactUrl, type Database } from '../services/db/index.js';
import { configDriveEncoder } from '../services/deploy/index.js';
import { NodeHistory } from '../services/events/index.js';
import { ChangeRecorder, recordClaimChanges } from '../services/feed/index.js';
import { FirmwareCache, FirmwareRepository } from '../services/firmware/index.js';
import { InventoryStore } from '../services/inspect/index.js';
import { InspectionRuleRepository, InspectionRules } from '../services/inspection-rules/index.js';
import { networkDataFor } from '../services/ipam/index.js';
import type { Logger } from '../services/logger.js';
import { Metrics } from '../services/metrics.js';
import { NodeRepository, type Node } from '../services/nodes/index.js';
import { PortRepository } from '../services/ports/index.js';
import { RPC_SECRET_PURPOSE } from '../services/rpc/index.js';
import { SecretBox, SecretKeyError } from '../services/secrets/index.js';
import { AgentIsoPublisher, BootFileFetcher, findGrubMkrescue } from '../services/vmedia/index.js';

/** How long a process trusts its list of live conductors before reading it again. */
const PLACEMENT_TTL_MS = 1000;
/** A ramdisk is hundreds of MiB; a download that takes longer than this is stuck, not slow. */
const AGENT_IMAGE_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;
/** Larger than any agent kernel or ramdisk: a URL serving more is not one. */
const AGENT_IMAGE_MAX_BYTES = 4 * 1024 ** 3;
/** Where Debian's grub-*-bin packages install GRUB's platforms. */
const GRUB_LIB_DIR = '/usr/lib/grub';

/** What every role of a process shares: the database and what reads it, metrics, and the BMC drivers. */
export interface Core {
  config: AnvilConfig;
  log: Logger;
  db: Database;
  nodes: NodeRepository;
  ports: PortRepository;
  history: NodeHistory;
  metrics: Metrics;
  drivers: DriverCache;
  inventory: InventoryStore;
  /** Each node's firmware components with their history, as Ironic caches them. */
  firmware: FirmwareCache;
  /** Each node's BIOS settings as its conductor last read them, as Ironic caches them. */
  bios: BiosSettingsCache;
  /** Agent ISOs this process builds; published once its boot HTTP server listens. */
  agentIsos: AgentIsoPublisher;
  ipam: IpamService;
  /** How each hardware type's nodes are driven, by driver name. */
  runtimes: ReadonlyMap<string, HardwareRuntime>;
  membership: ConductorMembership;
  placement: Placement;
  /** The bearer secret of the conductor RPC, derived from the shared secret key. */
  rpcSecret: string;
  close(): Promise<void>;
}

/**
 * Opens and migrates the database and builds what every role uses.
 * `servesBootFiles`: this process runs the boot HTTP server, so its conductor
 * can check a boot file given as a path before a machine boots it.
 */
export async function openCore(
  config: AnvilConfig,
  log: Logger,
  { servesBootFiles }: { servesBootFiles: boolean },
): Promise<Core> {
  // A key given in the environment is checked before anything is written; a key file is
  // created only once the database answers, so a start refused for want of one leaves none behind.
  let secrets = config.secretKey === null ? null : loadSecrets(config);
  const db = openDatabase(config.database.url);
  try {
    await migrateToLatest(db.knex);
    secrets ??= loadSecrets(config);
  } catch (err) {
    await db.close();
    throw databaseFailure(err, config);
  }
  const nodes = new NodeRepository(db.knex, secrets);
  const ports = new PortRepository(db.knex);
  const history = new NodeHistory(db.knex, config.conductor.name);
  const metrics = new Metrics(nodes);
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
  const firmware = new FirmwareCache(new FirmwareRepository(db.knex));
  const bios = new BiosSettingsCache(new BiosSettingsRepository(db.knex));
  const ipam = new IpamService(db.knex, recordClaimChanges(ChangeRecorder.of(db.knex)));
  const networkDataOf = async (node: Node) => {
    const data = await networkDataFor(ipam, node, await ports.listForNode(node.id));
    return data.networks.length === 0 ? null : { ...data };
  };
  const agentIsos = new AgentIsoPublisher({
    bootFilesDir: config.boot.bootFilesDir,
    fetcher: new BootFileFetcher({
      bootFilesDir: config.boot.bootFilesDir,
      cacheDir: path.join(config.dataDir, 'cache', 'agent-images'),
      timeoutMs: AGENT_IMAGE_DOWNLOAD_TIMEOUT_MS,
      maxBytes: AGENT_IMAGE_MAX_BYTES,
    }),
    agentImages: config.agentImages,
    networkDataOf,
    grubMkrescue: await findGrubMkrescue(),
    servesBootFiles,
    grubLibDir: GRUB_LIB_DIR,
  });
  const bmc = new BmcRuntime({
    drivers,
    inventory,
    firmware,
    bios,
    makePorts: (node, macs) => ports.createMissing(node.id, macs),
    history,
    agent: new AgentClient(config.agent.commandTimeoutSeconds * 1000),
    configDrive: configDriveEncoder(networkDataOf),
    bootFilesDir: servesBootFiles ? config.boot.bootFilesDir : null,
    agentImages: config.agentImages,
    agentIsos,
    inspectionRules: new InspectionRules({ rules: new InspectionRuleRepository(db.knex), ports, log }),
    pxeMacs: async (node) => (await ports.listForNode(node.id)).filter((p) => p.pxe_enabled).map((p) => p.address),
    options: {
      powerTimeoutSeconds: config.conductor.powerTimeoutSeconds,
      biosApplyTimeoutSeconds: config.conductor.biosApplyTimeoutSeconds,
      automatedClean: config.conductor.automatedClean,
      addPorts: config.conductor.inspectAddPorts,
    },
  });
  const membership = new ConductorMembership(db.knex, config.conductor.heartbeatTimeoutSeconds);
  return {
    config,
    log,
    db,
    nodes,
    ports,
    history,
    metrics,
    drivers,
    inventory,
    firmware,
    bios,
    agentIsos,
    ipam,
    runtimes: new Map<string, HardwareRuntime>([
      ['fake-hardware', fakeHardware],
      ['redfish', bmc],
      ['idrac', bmc],
      ['ipmi', bmc],
    ]),
    membership,
    placement: new Placement(membership, PLACEMENT_TTL_MS),
    rpcSecret: secrets.derive(RPC_SECRET_PURPOSE),
    async close() {
      await drivers.closeAll();
      await db.close();
    },
  };
}

/** Errors of a database that cannot be reached or opened, by code: pg's, Node's and SQLite's. */
const UNUSABLE_DATABASE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '28000', // invalid authorization
  '28P01', // wrong password
  '3D000', // no such database
  'SQLITE_CANTOPEN',
  'SQLITE_NOTADB',
  'SQLITE_READONLY',
]);

function loadSecrets(config: AnvilConfig): SecretBox {
  try {
    return SecretBox.load(config.secretKey, config.dataDir);
  } catch (err) {
    // Its message names where the key came from: ANVIL_SECRET_KEY, or the key file.
    if (err instanceof SecretKeyError) throw new ConfigError(err.message);
    throw err;
  }
}

/**
 * A database that cannot be reached or opened, as one line naming the
 * setting; any other error as it is. A server that accepts the connection
 * and never answers shows as knex's timeout on a connection.
 */
function databaseFailure(err: unknown, config: AnvilConfig): unknown {
  const code = (err as { code?: unknown }).code;
  const unusable =
    (typeof code === 'string' && UNUSABLE_DATABASE.has(code)) || (err as Error).name === 'KnexTimeoutError';
  if (!unusable) return err;
  return new ConfigError(
    `cannot use the database of ${settings.database.url.spec.env} (${redactUrl(config.database.url)}): ${(err as Error).message}`,
  );
}
