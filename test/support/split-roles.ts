import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startService, type Role, type RunningService } from '../../server/index.js';
import { loadConfig } from '../../services/config/index.js';
import { createLogger } from '../../services/logger.js';
import type { TestDatabase } from './engines.js';

export interface SplitResponse {
  status: number;
  text: string;
  body: any;
}

/** An `--role conductor` and an `--role api` process's worth of service on one database (DESIGN decision 13). */
export interface SplitRoles {
  api: RunningService;
  conductor: RunningService;
  /** A request to the API process, at `version`. */
  call(method: string, urlPath: string, body?: unknown, version?: string): Promise<SplitResponse>;
  /** Starts one more service of `role` on the same database and secret. */
  start(role: Role, name: string, env?: Record<string, string>): Promise<RunningService>;
  close(): Promise<void>;
}

/**
 * Starts a conductor and an API that makes no BMC call of its own, sharing
 * `db` and one secret key, quick BMC timeouts, logs silenced.
 */
export async function startSplitRoles(
  db: TestDatabase,
  prefix: string,
  options: { version?: string; env?: Record<string, string> } = {},
): Promise<SplitRoles> {
  const dirs: string[] = [];
  const started: RunningService[] = [];
  const secretKey = randomBytes(32).toString('hex');
  const start = async (role: Role, name: string, env: Record<string, string> = {}): Promise<RunningService> => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), `anvil-${prefix}-`));
    dirs.push(dataDir);
    const config = loadConfig({
      ANVIL_API_HOST: '127.0.0.1',
      ANVIL_API_PORT: '0',
      ANVIL_DATABASE_URL: db.url,
      ANVIL_DATA_DIR: dataDir,
      ANVIL_SECRET_KEY: secretKey,
      ANVIL_CONDUCTOR_NAME: name,
      ANVIL_CONDUCTOR_SWEEP_INTERVAL: '0.2',
      ANVIL_BMC_TIMEOUT: '2',
      ANVIL_BMC_ATTEMPTS: '2',
      ANVIL_BMC_RETRY_DELAY: '0.1',
      ...options.env,
      ...env,
    });
    const quiet = new Writable({ write: (_c, _e, done) => done() });
    const service = await startService(config, { role, log: createLogger('info', quiet) });
    started.push(service);
    return service;
  };
  const conductor = await start('conductor', `${prefix}-conductor`);
  const api = await start('api', `${prefix}-api`);
  return {
    api,
    conductor,
    start,
    async call(method, urlPath, body, version = options.version ?? '1.89') {
      const res = await fetch(`${api.url}${urlPath}`, {
        method,
        headers: { 'X-OpenStack-Ironic-API-Version': version, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, text, body: text ? JSON.parse(text) : null };
    },
    async close() {
      for (const service of started.reverse()) await service.close();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
