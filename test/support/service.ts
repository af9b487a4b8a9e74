import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startService, type RunningService } from '../../server/index.js';
import { loadConfig } from '../../services/config/index.js';
import { createLogger } from '../../services/logger.js';
import { afterAll, beforeAll, describe } from 'vitest';
import { createTestDatabase, ENGINES, postgresAvailable, type EngineName, type TestDatabase } from './engines.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body. */
  body: any;
  text: string;
}

export interface TestService {
  url: string;
  /** The HTTP boot server (iPXE scripts, /images, /boot-files). */
  bootUrl: string;
  tftpPort: number | null;
  db: TestDatabase;
  dataDir: string;
  /** Every log line the service wrote. */
  logs: string[];
  request(
    method: string,
    path: string,
    body?: unknown,
    version?: string | null,
    headers?: Record<string, string>,
  ): Promise<ApiResponse>;
  close(): Promise<void>;
}

/** The real service on an ephemeral loopback port, with its own database and data directory. */
export async function startTestService(engine: EngineName, env: Record<string, string> = {}): Promise<TestService> {
  const db = await createTestDatabase(engine);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-data-'));
  const config = loadConfig({
    ANVIL_API_HOST: '127.0.0.1',
    ANVIL_API_PORT: '0',
    ANVIL_DATABASE_URL: db.url,
    ANVIL_DATA_DIR: dataDir,
    ANVIL_LOG_LEVEL: 'info',
    // Work handed to a conductor that was busy is picked up by its next sweep: keep that short in tests.
    ANVIL_CONDUCTOR_SWEEP_INTERVAL: '0.2',
    // Network boot services on free ports (port 69 and 8080 are not ours to take in tests).
    ANVIL_HTTP_PORT: '0',
    ANVIL_TFTP_PORT: '0',
    // A dead BMC fails within seconds in tests, not minutes.
    ANVIL_BMC_TIMEOUT: '2',
    ANVIL_BMC_ATTEMPTS: '2',
    ANVIL_BMC_RETRY_DELAY: '0.1',
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  let service: RunningService;
  try {
    service = await startService(config, { log: createLogger('info', sink) });
  } catch (err) {
    await db.drop();
    throw err;
  }
  return {
    url: service.url!,
    bootUrl: service.boot!.httpUrl,
    tftpPort: service.boot!.tftpPort,
    db,
    dataDir,
    logs,
    async request(method, urlPath, body, version = '1.78', headers = {}) {
      const h: Record<string, string> = { ...headers };
      if (version !== null) h['X-OpenStack-Ironic-API-Version'] = version;
      let payload: string | undefined;
      if (body !== undefined) {
        payload = typeof body === 'string' ? body : JSON.stringify(body);
        h['Content-Type'] ??= 'application/json';
      }
      const res = await fetch(`${service.url}${urlPath}`, { method, headers: h, body: payload });
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
    },
    async close() {
      await service.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The faultstring of an Ironic error body (whose error_message is itself JSON). */
export function faultOf(res: ApiResponse): string {
  const inner = JSON.parse(res.body.error_message as string) as {
    faultstring: string;
    faultcode: string;
    debuginfo: null;
  };
  return inner.faultstring;
}

/**
 * Polls until `check` holds, for at most `ms`: the conductor works after the
 * 202. `intervalMs` keeps a test that watches many nodes from starving the
 * service it shares the event loop with.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  check: (v: T) => boolean,
  ms = 5000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await probe();
  while (!check(last)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${ms} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
    last = await probe();
  }
  return last;
}

const postgresUp = await postgresAvailable();

/**
 * Declares `body` once per database engine, each with a fresh service of its
 * own; the PostgreSQL copy is skipped (loudly) only where no server answers.
 */
export function describeOnEngines(
  title: string,
  body: (svc: () => TestService) => void,
  env: Record<string, string> = {},
) {
  for (const engine of ENGINES) {
    describe.skipIf(engine === 'postgres' && !postgresUp)(`${title} [${engine}]`, () => {
      let svc: TestService | undefined;
      beforeAll(async () => {
        svc = await startTestService(engine, env);
      });
      afterAll(async () => {
        await svc?.close();
      });
      body(() => svc!);
    });
  }
}
