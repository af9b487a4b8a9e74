#!/usr/bin/env node
// anvil-sim: N simulated hosts behind one Redfish endpoint and one IPMI
// port each; prints the manifest `anvil enroll` reads (DESIGN.md §5).
import { realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { startSimFleet, type SimFleet } from './fleet-runner.js';
import { startUdhcpc, type BootConfig, type Udhcpc } from './host/boot/index.js';
import { createFleet } from './host/index.js';

export const simConfigSchema = z.strictObject({
  hosts: z.number().int().min(0).max(1_000_000).default(1),
  redfishPort: z.number().int().min(0).max(65535).default(8000),
  /** 0 gives every host an ephemeral IPMI port; the manifest names them. */
  ipmiBasePort: z.number().int().min(0).max(65535).default(6230),
  manifest: z.string().optional(),
  bind: z.string().default('127.0.0.1'),
  username: z.string().min(1).default('admin'),
  password: z.string().min(1).default('password'),
  prefix: z.string().min(1).default('sim-'),
  seed: z.number().int().default(0),
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
  firmwareUpdateMs: z.number().int().min(0).default(2000),
  /** Anvil's HTTP boot server; given, hosts network-boot against Anvil and run agents. */
  bootHttp: z.url().optional(),
  /**
   * Hosts ask DHCP on the wire (busybox udhcpc on the interface carrying
   * their MAC) for their address, boot file and script URL, and network-boot
   * from the answers; --boot-http is then not needed.
   */
  dhcp: z.boolean().default(false),
  /** PEM CA bundle the agents verify an https ipa-api-url against. */
  apiCa: z.string().optional(),
  /** Anvil's TFTP server as IP:PORT; default the boot-http host, port 69. */
  bootTftp: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9.]+):\d{1,5}$/, 'expected IP:PORT')
    .optional(),
  /** Where host disk files live; default a temporary directory removed at exit. */
  diskDir: z.string().optional(),
  /** Agents heartbeat about this often instead of at IPA's fraction of heartbeat_timeout. */
  heartbeatIntervalMs: z.number().int().min(1).optional(),
});

export type SimConfig = z.infer<typeof simConfigSchema>;

export const USAGE = `usage: anvil-sim [--hosts N] [--redfish-port P] [--ipmi-base-port Q] [--manifest FILE]
                 [--config FILE.yaml] [--bind ADDR] [--username U] [--password P]
                 [--prefix sim-] [--seed S] [--tls-cert PEM --tls-key PEM] [--firmware-update-ms MS]
                 [--boot-http URL | --dhcp] [--boot-tftp IP:PORT] [--disk-dir DIR] [--heartbeat-interval-ms MS]
                 [--api-ca PEM]`;

const FLAGS = {
  hosts: { type: 'string' },
  'redfish-port': { type: 'string' },
  'ipmi-base-port': { type: 'string' },
  manifest: { type: 'string' },
  config: { type: 'string' },
  bind: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  prefix: { type: 'string' },
  seed: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'firmware-update-ms': { type: 'string' },
  'boot-http': { type: 'string' },
  'boot-tftp': { type: 'string' },
  'disk-dir': { type: 'string' },
  'heartbeat-interval-ms': { type: 'string' },
  dhcp: { type: 'boolean' },
  'api-ca': { type: 'string' },
  help: { type: 'boolean' },
} as const;

const NUMERIC = new Set(['hosts', 'redfishPort', 'ipmiBasePort', 'seed', 'firmwareUpdateMs', 'heartbeatIntervalMs']);

function camel(flag: string): string {
  return flag.replace(/[-_]([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Flags over the YAML file over defaults. Throws with a readable message. */
export async function loadSimConfig(argv: string[]): Promise<SimConfig | 'help'> {
  const { values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false });
  if (values.help) return 'help';
  let fromFile: Record<string, unknown> = {};
  if (values.config !== undefined) {
    const parsed: unknown = parseYaml(await readFile(values.config, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error(`${values.config}: expected a YAML mapping`);
    fromFile = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [camel(k), v]));
  }
  const fromFlags: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(values)) {
    if (flag === 'config' || flag === 'help') continue;
    if (typeof value === 'boolean') {
      fromFlags[camel(flag)] = value;
      continue;
    }
    if (typeof value !== 'string') continue;
    const key = camel(flag);
    fromFlags[key] = NUMERIC.has(key) ? Number(value) : value;
  }
  const result = simConfigSchema.safeParse({ ...fromFile, ...fromFlags });
  if (!result.success) {
    throw new Error(result.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; '));
  }
  if ((result.data.tlsCert === undefined) !== (result.data.tlsKey === undefined))
    throw new Error('--tls-cert and --tls-key go together');
  if (result.data.dhcp && result.data.bootHttp !== undefined)
    throw new Error('--dhcp learns the boot server from DHCP: leave out --boot-http');
  return result.data;
}

export async function startSim(config: SimConfig): Promise<SimFleet> {
  const fleet = createFleet({ count: config.hosts, prefix: config.prefix, seed: config.seed });
  const tls =
    config.tlsCert !== undefined && config.tlsKey !== undefined
      ? { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) }
      : undefined;
  const apiCa = config.apiCa === undefined ? undefined : await readFile(config.apiCa, 'utf8');
  const udhcpc: Udhcpc | null = config.dhcp ? await startUdhcpc() : null;
  const boot =
    udhcpc !== null
      ? bootConfigOf(config, { dhcp: udhcpc.client }, apiCa)
      : config.bootHttp !== undefined
        ? bootConfigOf(config, { httpUrl: config.bootHttp }, apiCa)
        : undefined;
  let sim: SimFleet;
  try {
    sim = await startSimFleet({
      fleet,
      host: config.bind,
      redfishPort: config.redfishPort,
      ipmiBasePort: config.ipmiBasePort,
      credentials: { username: config.username, password: config.password },
      firmwareUpdateMs: config.firmwareUpdateMs,
      ...(tls ? { tls } : {}),
      ...(boot ? { boot } : {}),
    });
  } catch (err) {
    await udhcpc?.close();
    throw err;
  }
  if (udhcpc === null) return sim;
  return {
    ...sim,
    close: async () => {
      await sim.close();
      await udhcpc.close();
    },
  };
}

function bootConfigOf(config: SimConfig, source: Pick<BootConfig, 'httpUrl' | 'dhcp'>, apiCa?: string): BootConfig {
  const boot: BootConfig = { ...source, ...(apiCa === undefined ? {} : { apiCa }) };
  if (config.bootTftp !== undefined) {
    const split = config.bootTftp.lastIndexOf(':');
    boot.tftpServer = {
      host: config.bootTftp.slice(0, split).replace(/^\[|\]$/g, ''),
      port: Number(config.bootTftp.slice(split + 1)),
    };
  }
  if (config.diskDir !== undefined) boot.diskRoot = config.diskDir;
  if (config.heartbeatIntervalMs !== undefined) boot.agent = { heartbeatIntervalMs: config.heartbeatIntervalMs };
  return boot;
}

async function main(): Promise<void> {
  let config: SimConfig | 'help';
  try {
    config = await loadSimConfig(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`anvil-sim: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (config === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const sim = await startSim(config);
  const { redfish, manifest } = sim;
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (config.manifest !== undefined) await writeFile(config.manifest, text, { mode: 0o600 });
  else process.stdout.write(text);
  process.stderr.write(
    `anvil-sim: ${manifest.hosts.length} hosts, Redfish at ${redfish.url}/redfish/v1/, control at ${redfish.url}/sim/v1/, IPMI on UDP ${ipmiPortsText(config)}\n`,
  );
  const stop = (): void => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function ipmiPortsText(config: SimConfig): string {
  if (config.hosts === 0) return 'nowhere (no hosts)';
  if (config.ipmiBasePort === 0) return 'ephemeral ports (see the manifest)';
  return `ports ${config.ipmiBasePort}-${config.ipmiBasePort + config.hosts - 1}`;
}

// Run as a program (also through the npm bin link, hence realpath), not when imported by tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`anvil-sim: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
