import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
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
  /** How every BMC call is guarded (DESIGN decision 7). */
  bmc: { attemptTimeoutSeconds: number; attempts: number; retryDelaySeconds: number; maxConcurrent: number };
  conductor: {
    /** This conductor's name in the conductors table and in node locks. */
    name: string;
    group: string;
    workers: number;
    heartbeatIntervalSeconds: number;
    /** A conductor silent for this long is dead: its locks are freed and its nodes taken over. */
    heartbeatTimeoutSeconds: number;
    sweepIntervalSeconds: number;
    /** How long a power change may take to show on the BMC (Ironic's power_state_change_timeout). */
    powerTimeoutSeconds: number;
    /** Automated cleaning for nodes whose automated_clean is unset. */
    automatedClean: boolean;
    /** Create ports for the NICs out-of-band inspection finds. */
    inspectAddPorts: 'all' | 'none';
    /** Seconds between power sync passes; 0 turns power sync off. */
    powerSyncIntervalSeconds: number;
    powerSyncWorkers: number;
    powerSyncMaxRetries: number;
    forcePowerStateDuringSync: boolean;
    powerFailureRecoveryIntervalSeconds: number;
    /** Seconds between checks for nodes that waited too long for their agent. */
    checkProvisionStateIntervalSeconds: number;
    deployCallbackTimeoutSeconds: number;
    inspectWaitTimeoutSeconds: number;
    cleanCallbackTimeoutSeconds: number;
    rescueCallbackTimeoutSeconds: number;
  };
  /** Network boot: TFTP, the HTTP boot and image server, DHCP. */
  boot: {
    httpHost: string;
    /** 0 picks a free port. */
    httpPort: number;
    /** How hosts reach the HTTP boot server; derived from host and port when unset. */
    publicUrl: string | null;
    /** How the ramdisk agent reaches the API; derived from the API's host and port when unset. */
    apiPublicUrl: string | null;
    imagesDir: string;
    bootFilesDir: string;
    /** null: no TFTP server. 0 picks a free port. */
    tftpPort: number | null;
    /** What TFTP serves: Debian's ipxe package's binaries. */
    tftpRoot: string;
    dhcpMode: 'off' | 'full' | 'proxy';
    dhcpInterface: string | null;
  };
  agent: {
    /** What lookup tells the agent: it heartbeats at a fraction of this (IPA's cadence). */
    heartbeatTimeoutSeconds: number;
    /** How long a call to the agent's API may take. */
    commandTimeoutSeconds: number;
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const port = z.coerce.number().int().min(0).max(65535);
const booleanSetting = z.union([z.boolean(), z.stringbool()], { error: 'must be true or false' });

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
    auth: z
      .enum(['none'], { error: () => 'must be "none" (basic and token auth are not available yet)' })
      .default('none'),
    secret_key: z.string().min(1).nullable().default(null),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    bmc: z
      .object({
        timeout: z.coerce.number().positive().max(3600).default(60),
        attempts: z.coerce.number().int().min(1).max(10).default(3),
        retry_delay: z.coerce.number().min(0).max(600).default(1),
        max_concurrent: z.coerce.number().int().min(1).max(10_000).default(64),
      })
      .strict()
      .default({ timeout: 60, attempts: 3, retry_delay: 1, max_concurrent: 64 }),
    boot: z
      .object({
        http_host: z.string().min(1).optional(),
        http_port: port.default(8080),
        public_url: z.url().optional(),
        api_public_url: z.url().optional(),
        images_dir: z.string().min(1).optional(),
        boot_files_dir: z.string().min(1).optional(),
        tftp_port: z.union([z.literal('off'), port]).default(69),
        tftp_root: z.string().min(1).default('/usr/lib/ipxe'),
        dhcp_mode: z.enum(['off', 'full', 'proxy']).default('off'),
        dhcp_interface: z.string().min(1).optional(),
      })
      .strict()
      .default({ http_port: 8080, tftp_port: 69, tftp_root: '/usr/lib/ipxe', dhcp_mode: 'off' }),
    agent: z
      .object({
        heartbeat_timeout: z.coerce.number().positive().max(86_400).default(300),
        command_timeout: z.coerce.number().positive().max(3600).default(60),
      })
      .strict()
      .default({ heartbeat_timeout: 300, command_timeout: 60 }),
    conductor: z
      .object({
        name: z.string().min(1).max(255).optional(),
        group: z
          .string()
          .max(255)
          .regex(/^[a-zA-Z0-9_.:-]*$/, 'may hold only letters, digits, _ . : and -')
          .default(''),
        workers: z.coerce.number().int().min(1).max(10_000).default(100),
        heartbeat_interval: z.coerce.number().positive().max(3600).default(10),
        heartbeat_timeout: z.coerce.number().positive().max(86_400).default(60),
        sweep_interval: z.coerce.number().positive().max(3600).default(2),
        power_timeout: z.coerce.number().positive().max(3600).default(60),
        automated_clean: booleanSetting.default(true),
        inspect_add_ports: z.enum(['all', 'none']).default('all'),
        power_sync_interval: z.coerce.number().min(0).max(86_400).default(120),
        power_sync_workers: z.coerce.number().int().min(1).max(1000).default(8),
        power_sync_max_retries: z.coerce.number().int().min(1).max(100).default(3),
        force_power_state_during_sync: booleanSetting.default(true),
        power_failure_recovery_interval: z.coerce.number().min(0).max(86_400).default(300),
        check_provision_state_interval: z.coerce.number().min(0).max(86_400).default(60),
        deploy_callback_timeout: z.coerce.number().positive().max(604_800).default(1800),
        inspect_wait_timeout: z.coerce.number().positive().max(604_800).default(1800),
        clean_callback_timeout: z.coerce.number().positive().max(604_800).default(1800),
        rescue_callback_timeout: z.coerce.number().positive().max(604_800).default(1800),
      })
      .strict()
      .default({
        group: '',
        workers: 100,
        heartbeat_interval: 10,
        heartbeat_timeout: 60,
        sweep_interval: 2,
        power_timeout: 60,
        automated_clean: true,
        inspect_add_ports: 'all',
        power_sync_interval: 120,
        power_sync_workers: 8,
        power_sync_max_retries: 3,
        force_power_state_during_sync: true,
        power_failure_recovery_interval: 300,
        check_provision_state_interval: 60,
        deploy_callback_timeout: 1800,
        inspect_wait_timeout: 1800,
        clean_callback_timeout: 1800,
        rescue_callback_timeout: 1800,
      }),
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
  ANVIL_BMC_TIMEOUT: ['bmc', 'timeout'],
  ANVIL_BMC_ATTEMPTS: ['bmc', 'attempts'],
  ANVIL_BMC_RETRY_DELAY: ['bmc', 'retry_delay'],
  ANVIL_BMC_MAX_CONCURRENT: ['bmc', 'max_concurrent'],
  ANVIL_HTTP_HOST: ['boot', 'http_host'],
  ANVIL_HTTP_PORT: ['boot', 'http_port'],
  ANVIL_PUBLIC_URL: ['boot', 'public_url'],
  ANVIL_API_PUBLIC_URL: ['boot', 'api_public_url'],
  ANVIL_IMAGES_DIR: ['boot', 'images_dir'],
  ANVIL_BOOT_FILES_DIR: ['boot', 'boot_files_dir'],
  ANVIL_TFTP_PORT: ['boot', 'tftp_port'],
  ANVIL_TFTP_ROOT: ['boot', 'tftp_root'],
  ANVIL_DHCP_MODE: ['boot', 'dhcp_mode'],
  ANVIL_DHCP_INTERFACE: ['boot', 'dhcp_interface'],
  ANVIL_AGENT_HEARTBEAT_TIMEOUT: ['agent', 'heartbeat_timeout'],
  ANVIL_AGENT_COMMAND_TIMEOUT: ['agent', 'command_timeout'],
  ANVIL_CONDUCTOR_NAME: ['conductor', 'name'],
  ANVIL_CONDUCTOR_GROUP: ['conductor', 'group'],
  ANVIL_CONDUCTOR_WORKERS: ['conductor', 'workers'],
  ANVIL_CONDUCTOR_HEARTBEAT_INTERVAL: ['conductor', 'heartbeat_interval'],
  ANVIL_CONDUCTOR_HEARTBEAT_TIMEOUT: ['conductor', 'heartbeat_timeout'],
  ANVIL_CONDUCTOR_SWEEP_INTERVAL: ['conductor', 'sweep_interval'],
  ANVIL_POWER_STATE_CHANGE_TIMEOUT: ['conductor', 'power_timeout'],
  ANVIL_AUTOMATED_CLEAN: ['conductor', 'automated_clean'],
  ANVIL_INSPECT_ADD_PORTS: ['conductor', 'inspect_add_ports'],
  ANVIL_POWER_SYNC_INTERVAL: ['conductor', 'power_sync_interval'],
  ANVIL_POWER_SYNC_WORKERS: ['conductor', 'power_sync_workers'],
  ANVIL_POWER_SYNC_MAX_RETRIES: ['conductor', 'power_sync_max_retries'],
  ANVIL_FORCE_POWER_STATE_DURING_SYNC: ['conductor', 'force_power_state_during_sync'],
  ANVIL_POWER_FAILURE_RECOVERY_INTERVAL: ['conductor', 'power_failure_recovery_interval'],
  ANVIL_CHECK_PROVISION_STATE_INTERVAL: ['conductor', 'check_provision_state_interval'],
  ANVIL_DEPLOY_CALLBACK_TIMEOUT: ['conductor', 'deploy_callback_timeout'],
  ANVIL_INSPECT_WAIT_TIMEOUT: ['conductor', 'inspect_wait_timeout'],
  ANVIL_CLEAN_CALLBACK_TIMEOUT: ['conductor', 'clean_callback_timeout'],
  ANVIL_RESCUE_CALLBACK_TIMEOUT: ['conductor', 'rescue_callback_timeout'],
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

/**
 * Refuses to serve the API without authentication anywhere but loopback.
 * Called by the processes that serve the API: a conductor or pxe process
 * listens on no API port, so the check is not theirs.
 */
export function checkApiExposure(config: AnvilConfig): void {
  if (config.auth === 'none' && !isLoopback(config.api.host)) {
    throw new ConfigError(
      `ANVIL_AUTH=none is refused while the API listens on ${config.api.host}: listen on loopback, or configure authentication`,
    );
  }
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
  if (c.conductor.heartbeat_timeout <= c.conductor.heartbeat_interval) {
    throw new ConfigError(
      'invalid configuration ANVIL_CONDUCTOR_HEARTBEAT_TIMEOUT: must be longer than ANVIL_CONDUCTOR_HEARTBEAT_INTERVAL',
    );
  }
  if (c.boot.dhcp_mode !== 'off' && !c.boot.dhcp_interface) {
    throw new ConfigError('invalid configuration ANVIL_DHCP_INTERFACE: DHCP needs the interface to serve, e.g. eth1');
  }
  const dataDir = path.resolve(c.data_dir);
  return {
    api: { host: c.api.host, port: c.api.port, maxLimit: c.api.max_limit },
    database: { url: c.database_url ?? `sqlite:${path.join(dataDir, 'anvil.db')}` },
    dataDir,
    auth: c.auth,
    secretKey: c.secret_key,
    logLevel: c.log_level,
    bmc: {
      attemptTimeoutSeconds: c.bmc.timeout,
      attempts: c.bmc.attempts,
      retryDelaySeconds: c.bmc.retry_delay,
      maxConcurrent: c.bmc.max_concurrent,
    },
    boot: {
      httpHost: c.boot.http_host ?? c.api.host,
      httpPort: c.boot.http_port,
      publicUrl: c.boot.public_url ?? null,
      apiPublicUrl: c.boot.api_public_url ?? null,
      imagesDir: path.resolve(c.boot.images_dir ?? path.join(dataDir, 'images')),
      bootFilesDir: path.resolve(c.boot.boot_files_dir ?? path.join(dataDir, 'boot')),
      tftpPort: c.boot.tftp_port === 'off' ? null : c.boot.tftp_port,
      tftpRoot: c.boot.tftp_root,
      dhcpMode: c.boot.dhcp_mode,
      dhcpInterface: c.boot.dhcp_interface ?? null,
    },
    agent: { heartbeatTimeoutSeconds: c.agent.heartbeat_timeout, commandTimeoutSeconds: c.agent.command_timeout },
    conductor: {
      name: c.conductor.name ?? os.hostname(),
      group: c.conductor.group.toLowerCase(),
      workers: c.conductor.workers,
      heartbeatIntervalSeconds: c.conductor.heartbeat_interval,
      heartbeatTimeoutSeconds: c.conductor.heartbeat_timeout,
      sweepIntervalSeconds: c.conductor.sweep_interval,
      powerTimeoutSeconds: c.conductor.power_timeout,
      automatedClean: c.conductor.automated_clean,
      inspectAddPorts: c.conductor.inspect_add_ports,
      powerSyncIntervalSeconds: c.conductor.power_sync_interval,
      powerSyncWorkers: c.conductor.power_sync_workers,
      powerSyncMaxRetries: c.conductor.power_sync_max_retries,
      forcePowerStateDuringSync: c.conductor.force_power_state_during_sync,
      powerFailureRecoveryIntervalSeconds: c.conductor.power_failure_recovery_interval,
      checkProvisionStateIntervalSeconds: c.conductor.check_provision_state_interval,
      deployCallbackTimeoutSeconds: c.conductor.deploy_callback_timeout,
      inspectWaitTimeoutSeconds: c.conductor.inspect_wait_timeout,
      cleanCallbackTimeoutSeconds: c.conductor.clean_callback_timeout,
      rescueCallbackTimeoutSeconds: c.conductor.rescue_callback_timeout,
    },
  };
}
