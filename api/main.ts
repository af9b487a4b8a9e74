import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { AllocationRepository } from '../services/allocations/repository.js';
import { AllocationService } from '../services/allocations/service.js';
import { Conductor, fakeHardware, TaskRunner } from '../services/conductor/index.js';
import type { AnvilConfig } from '../services/config.js';
import { migrateToLatest, openDatabase, redactUrl } from '../services/db/index.js';
import { NodeHistory } from '../services/events/history.js';
import { createLogger, type Logger } from '../services/logger.js';
import { Metrics } from '../services/metrics.js';
import { NodeRepository } from '../services/nodes/repository.js';
import { NodeService } from '../services/nodes/service.js';
import { PortRepository } from '../services/ports/repository.js';
import { PortService } from '../services/ports/service.js';
import { SecretBox } from '../services/secrets/index.js';
import { createApp } from './app.js';

export interface RunningService {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** The composition root of `anvil serve`: database, services, conductor and HTTP API. */
export async function startService(config: AnvilConfig, log: Logger = createLogger(config.logLevel)): Promise<RunningService> {
  const secrets = SecretBox.load(config.secretKey, config.dataDir);
  const db = openDatabase(config.database.url);
  try {
    await migrateToLatest(db.knex);
  } catch (err) {
    await db.close();
    throw err;
  }
  const conductorHost = os.hostname();
  const nodeRepo = new NodeRepository(db.knex, secrets);
  const history = new NodeHistory(db.knex, conductorHost);
  const runner = new TaskRunner(nodeRepo, conductorHost, config.conductor.workers, history, log);
  const nodes = new NodeService(nodeRepo, runner, history);
  const ports = new PortService(new PortRepository(db.knex), nodes, runner);
  const conductor = new Conductor(nodeRepo, runner, new Map([['fake-hardware', fakeHardware]]), history, log);
  const metrics = new Metrics(nodeRepo);
  const allocations = new AllocationService(new AllocationRepository(db.knex), nodes, runner);
  const app = createApp({ config, log, metrics, nodes, ports, conductor, history, allocations, conductorHost });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.api.port, config.api.host, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host;
  const url = `http://${host}:${port}`;
  log.info({ url, database: redactUrl(config.database.url), engine: db.engine }, 'anvil API listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    server,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await runner.drain();
        await db.close();
      })();
      return closing;
    },
  };
}
