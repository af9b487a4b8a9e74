import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../api/index.js';
import { RamdiskService } from '../services/agent/index.js';
import { AllocationRepository } from '../services/allocations/index.js';
import { AllocationService } from '../services/allocations/index.js';
import { Intake, type Worker } from '../services/conductor/index.js';
import { checkApiExposure } from '../services/config/index.js';
import { redactUrl } from '../services/db/index.js';
import { NodeHardware } from '../services/hardware/index.js';
import { NodeAddresses, releaseNodeAddresses } from '../services/ipam/index.js';
import { NodeLocks } from '../services/nodes/index.js';
import { NodeService } from '../services/nodes/index.js';
import { PortService } from '../services/ports/index.js';
import type { Core } from './core.js';

export interface ApiRole {
  /** The API's base URL as it listens. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * The HTTP API: the services it calls and the app over them. `worker` is the
 * conductor of this process, when it runs one, so accepted work starts at once.
 */
export async function startApiRole(core: Core, worker: Worker | null): Promise<ApiRole> {
  const { config, log } = core;
  checkApiExposure(config);
  const locks = new NodeLocks({
    nodes: core.nodes,
    holder: `${config.conductor.name}:api`,
    history: core.history,
    metrics: core.metrics,
  });
  const nodes = new NodeService(core.nodes, locks, core.history);
  const ports = new PortService(core.ports, nodes, locks);
  const intake = new Intake({
    nodes: core.nodes,
    locks,
    placement: core.placement,
    history: core.history,
    drivers: new Set(core.runtimes.keys()),
    local: worker,
  });
  core.metrics.trackIpamPools(core.ipam);
  // A deleted node's addresses go back to their pools.
  nodes.onDeleted(async (node) => {
    await releaseNodeAddresses(core.ipam, node);
  });
  const app = createApp({
    config,
    log,
    metrics: core.metrics,
    nodes,
    ports,
    intake,
    placement: core.placement,
    history: core.history,
    allocations: new AllocationService(new AllocationRepository(core.db.knex), nodes, locks),
    ipam: core.ipam,
    nodeAddresses: new NodeAddresses(core.ipam, nodes, ports),
    hardware: new NodeHardware({ nodes: core.nodes, locks, drivers: core.drivers, inventory: core.inventory }),
    ramdisk: new RamdiskService({
      nodes: core.nodes,
      nodeService: nodes,
      ports: core.ports,
      checkIn: intake,
      inventory: core.inventory,
      heartbeatTimeoutSeconds: config.agent.heartbeatTimeoutSeconds,
      addPorts: config.conductor.inspectAddPorts === 'all',
    }),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.api.port, config.api.host, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host;
  const url = `http://${host}:${port}`;
  log.info({ url, database: redactUrl(config.database.url), engine: core.db.engine }, 'anvil API listening');
  return {
    url,
    server,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
