import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import {
  answerClientError,
  createApp,
  FailureThrottle,
  NodeDetailCache,
  Policy,
  POLICY,
  type AccessControl,
} from '../api/index.js';
import { Authenticator, HtpasswdError, HtpasswdFile, TokenStore } from '../services/auth/index.js';
import { RamdiskService } from '../services/agent/index.js';
import { AllocationRepository, AllocationService } from '../services/allocations/index.js';
import { ChassisRepository, ChassisService } from '../services/chassis/index.js';
import { Intake } from '../services/conductor/index.js';
import { checkApiExposure, ConfigError, settings, type AnvilConfig } from '../services/config/index.js';
import type { Logger } from '../services/logger.js';
import { redactUrl } from '../services/db/index.js';
import { DeployTemplateRepository, DeployTemplateService } from '../services/deploy-templates/index.js';
import { ChangeFeed } from '../services/feed/index.js';
import { InspectionRuleRepository, InspectionRuleService } from '../services/inspection-rules/index.js';
import { NodeAddresses, releaseNodeAddresses } from '../services/ipam/index.js';
import { MachineRepository, MachineService } from '../services/machines/index.js';
import { NodeLocks, NodeService } from '../services/nodes/index.js';
import { PortgroupRepository, PortgroupService } from '../services/portgroups/index.js';
import { PortService } from '../services/ports/index.js';
import { VolumeConnectorRepository, VolumeService, VolumeTargetRepository } from '../services/volume/index.js';
import { ConductorRpcClient } from '../services/rpc/index.js';
import type { ConductorRole } from './conductor-role.js';
import type { Core } from './core.js';
import { checkPortFree, listenFailure, type ListenSetting } from './ports.js';
import { loadTls, reloadTlsOnChange, type TlsFiles } from './tls.js';

export interface ApiRole {
  /** The API's base URL as it listens. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** What the API is started with that can be checked before anything else starts: its files and its port. */
export interface ApiPreparation {
  tls: { files: TlsFiles; options: SecureContextOptions } | null;
  /** How callers are authenticated; basic authentication with its htpasswd file read. */
  auth: { mode: 'none' } | { mode: 'token' } | { mode: 'basic'; htpasswd: HtpasswdFile };
}

/**
 * Checks everything about the API's configuration that needs no database:
 * that it is not exposed without authentication, that its certificate, key
 * and htpasswd file read, and that its port is free. Nothing is started or
 * written, so a refusal leaves no trace.
 */
export async function prepareApiRole(config: AnvilConfig, log: Logger): Promise<ApiPreparation> {
  checkApiExposure(config);
  const files =
    config.tls.cert !== null && config.tls.key !== null ? { cert: config.tls.cert, key: config.tls.key } : null;
  const tls = files === null ? null : { files, options: loadTls(files) };
  const auth: ApiPreparation['auth'] =
    config.auth === 'basic' ? { mode: 'basic', htpasswd: readHtpasswd(config, log) } : { mode: config.auth };
  await checkPortFree(apiListen(config));
  return { tls, auth };
}

function apiListen(config: AnvilConfig): ListenSetting {
  return {
    host: config.api.host,
    port: config.api.port,
    hostVariable: settings.api.host.spec.env,
    portVariable: settings.api.port.spec.env,
  };
}

/**
 * The HTTP API: the services it calls and the app over them. `conductor` is
 * the conductor of this process, when it runs one: accepted work starts there
 * at once, and hardware calls for the nodes it owns are made in place.
 */
export async function startApiRole(
  core: Core,
  conductor: ConductorRole | null,
  prepared: ApiPreparation,
): Promise<ApiRole> {
  const { config, log } = core;
  const locks = new NodeLocks({
    nodes: core.nodes,
    holder: `${config.conductor.name}:api`,
    history: core.history,
    metrics: core.metrics,
  });
  const nodes = new NodeService(core.nodes, locks, core.history);
  const portgroups = new PortgroupService(new PortgroupRepository(core.db.knex), nodes, locks);
  const ports = new PortService(core.ports, nodes, locks, portgroups);
  const intake = new Intake({
    nodes: core.nodes,
    locks,
    placement: core.placement,
    history: core.history,
    runtimes: core.runtimes,
    local: conductor?.worker ?? null,
  });
  const tokens = new TokenStore(core.db.knex);
  const access: AccessControl = {
    authenticator: authenticatorFor(config, prepared.auth, tokens),
    policy: new Policy(POLICY, { metricsPublic: config.access.metricsPublic }),
    throttle: new FailureThrottle(LOGIN_THROTTLE),
    metrics: core.metrics,
  };
  core.metrics.trackIpamPools(core.ipam);
  // A deleted node's addresses go back to their pools.
  nodes.onDeleted(async (node) => {
    await releaseNodeAddresses(core.ipam, node);
  });
  const feed = new ChangeFeed({
    knex: core.db.knex,
    listenUrl: core.db.engine === 'postgres' ? config.database.url : null,
    pollIntervalMs: config.feed.pollIntervalSeconds * 1000,
    log,
  });
  const app = createApp({
    config,
    log,
    metrics: core.metrics,
    nodes,
    nodeDetails: new NodeDetailCache(),
    ports,
    portgroups,
    chassis: new ChassisService(new ChassisRepository(core.db.knex)),
    volumeConnectors: new VolumeService(new VolumeConnectorRepository(core.db.knex), nodes, locks),
    volumeTargets: new VolumeService(new VolumeTargetRepository(core.db.knex), nodes, locks),
    intake,
    placement: core.placement,
    conductors: core.membership,
    history: core.history,
    allocations: new AllocationService(
      new AllocationRepository(core.db.knex),
      nodes,
      locks,
      conductor?.allocations ?? null,
    ),
    machines: new MachineService(new MachineRepository(core.db.knex), core.ipam, conductor?.machines ?? null),
    deployTemplates: new DeployTemplateService(new DeployTemplateRepository(core.db.knex)),
    feed,
    inspectionRules: new InspectionRuleService(new InspectionRuleRepository(core.db.knex)),
    ipam: core.ipam,
    nodeAddresses: new NodeAddresses(core.ipam, nodes, ports),
    hardware: new ConductorRpcClient({
      placement: core.placement,
      membership: core.membership,
      secret: core.rpcSecret,
      local: conductor === null ? null : { name: conductor.worker.name, hardware: conductor.hardware },
      timeoutMs: RPC_TIMEOUT_MARGIN_MS + config.bmc.attemptTimeoutSeconds * 1000 * config.bmc.attempts * 2,
    }),
    inventory: core.inventory,
    firmware: core.firmware,
    bios: core.bios,
    access,
    tokens,
    ramdisk: new RamdiskService({
      nodes: core.nodes,
      nodeService: nodes,
      ports: core.ports,
      checkIn: intake,
      inventory: core.inventory,
      heartbeatTimeoutSeconds: config.agent.heartbeatTimeoutSeconds,
      addPorts: config.conductor.inspectAddPorts === 'all',
      history: core.history,
    }),
  });
  const { tls } = prepared;
  const server: Server = tls === null ? createHttpServer(app) : createHttpsServer(tls.options, app);
  server.on('clientError', answerClientError);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.api.port, config.api.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await feed.close();
    // Taken since it was checked (another process started meanwhile).
    throw listenFailure(err, apiListen(config));
  }
  const stopReloading =
    tls === null
      ? () => {}
      : reloadTlsOnChange(tls.files, (options) => (server as HttpsServer).setSecureContext(options), log);
  const { port } = server.address() as AddressInfo;
  const host = config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host;
  const url = `${tls === null ? 'http' : 'https'}://${host}:${port}`;
  log.info({ url, database: redactUrl(config.database.url), engine: core.db.engine }, 'anvil API listening');
  return {
    url,
    server,
    async close() {
      stopReloading();
      // First: long polls answer and event streams end, so the server's close is not held by them.
      await feed.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

/** Beyond the BMC's own time (its attempts, and the wait for the node's lock): the hop and the queue. */
const RPC_TIMEOUT_MARGIN_MS = 10_000;

/** Failed logins: five free within five minutes, then each try from that source waits longer, up to 5 s. */
const LOGIN_THROTTLE = { freeFailures: 5, windowSeconds: 300, maxDelayMs: 5000 };

function authenticatorFor(config: AnvilConfig, auth: ApiPreparation['auth'], tokens: TokenStore): Authenticator {
  switch (auth.mode) {
    case 'none':
      return new Authenticator({ mode: 'none' });
    case 'token':
      return new Authenticator({ mode: 'token', tokens });
    case 'basic':
      return new Authenticator({
        mode: 'basic',
        htpasswd: auth.htpasswd,
        roles: config.access.roles,
        defaultRole: config.access.defaultRole,
      });
  }
}

function readHtpasswd(config: AnvilConfig, log: Logger): HtpasswdFile {
  const file = config.access.htpasswd;
  if (file === null)
    throw new ConfigError('invalid configuration ANVIL_HTPASSWD: ANVIL_AUTH=basic needs the htpasswd file');
  try {
    return new HtpasswdFile(file, {
      onSkipped: (path, skipped) =>
        log.error(
          { file: path, line: skipped.line, user: skipped.user },
          `htpasswd line SKIPPED: ${skipped.why}; the other users are served`,
        ),
    });
  } catch (err) {
    if (err instanceof HtpasswdError) throw new ConfigError(err.message);
    throw err;
  }
}
