import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * One typed configuration object, built from an optional YAML file
 * (`ANVIL_CONFIG`, or the path given to `loadConfig`) overlaid by `ANVIL_*`
 * environment variables. Names are part of the public contract (DESIGN.md §6).
 */
export interface AnvilConfig {
  api: { host: string; port: number; maxLimit: number };
  database: { url: string };
  dataDir: string;
  auth: 'none';
  /** Base64 or hex AES-256 key; when absent a key file in dataDir is used. */
  secretKey: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  conductor: { workers: number };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const port = z.coerce.number().int().min(0).max(65535);

const schema = z
  .object({
    api: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(6385),
        max_limit: z.coerce.number().int().min(1).max(100_000).default(1000),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 6385, max_limit: 1000 }),
    database_url: z.string().min(1).optional(),
    data_dir: z.string().min(1).default('./var'),
    auth: z.enum(['none'], { error: () => 'must be "none" (basic and token auth are not available yet)' }).default('none'),
    secret_key: z.string().min(1).nullable().default(null),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    conductor: z
      .object({ workers: z.coerce.number().int().min(1).max(10_000).default(100) })
      .strict()
      .default({ workers: 100 }),
  })
  .strict();

/** Environment variable → path in the file's shape. */
const ENV_KEYS: Record<string, string[]> = {
  ANVIL_API_HOST: ['api', 'host'],
  ANVIL_API_PORT: ['api', 'port'],
  ANVIL_API_MAX_LIMIT: ['api', 'max_limit'],
  ANVIL_DATABASE_URL: ['database_url'],
  ANVIL_DATA_DIR: ['data_dir'],
  ANVIL_AUTH: ['auth'],
  ANVIL_SECRET_KEY: ['secret_key'],
  ANVIL_LOG_LEVEL: ['log_level'],
  ANVIL_CONDUCTOR_WORKERS: ['conductor', 'workers'],
};

function readFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`config file ${file} must hold a mapping at the top level`);
  }
  return doc as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, keys: string[], value: string): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, file = env.ANVIL_CONFIG): AnvilConfig {
  const raw = file ? readFile(file) : {};
  for (const [name, keys] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, keys, value);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join('.');
    const envName = Object.entries(ENV_KEYS).find(([, k]) => k.join('.') === where)?.[0];
    throw new ConfigError(`invalid configuration ${envName ?? where}: ${issue.message}`);
  }
  const c = parsed.data;
  if (c.auth === 'none' && !isLoopback(c.api.host)) {
    throw new ConfigError(
      `ANVIL_AUTH=none is refused while the API listens on ${c.api.host}: listen on loopback, or configure authentication`,
    );
  }
  const dataDir = path.resolve(c.data_dir);
  return {
    api: { host: c.api.host, port: c.api.port, maxLimit: c.api.max_limit },
    database: { url: c.database_url ?? `sqlite:${path.join(dataDir, 'anvil.db')}` },
    dataDir,
    auth: c.auth,
    secretKey: c.secret_key,
    logLevel: c.log_level,
    conductor: { workers: c.conductor.workers },
  };
}
