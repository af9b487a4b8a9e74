import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './error.js';
import { InWords, listSettings, Setting, type ConfigOf, type Lookup, type SettingsTable } from './setting.js';
import { settings, type AnvilConfig } from './settings.js';

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readFile(file: string): Mapping {
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
  if (!isMapping(doc)) throw new ConfigError(`config file ${file} must hold a mapping at the top level`);
  checkKeys(doc, file);
  return doc;
}

const yamlKeys = new Set(listSettings(settings).map((setting) => setting.spec.yaml));
/** `a.b.c` is in groups `a` and `a.b`. */
const yamlGroups = new Set(
  [...yamlKeys].flatMap((key) => key.split('.').map((_, i, parts) => parts.slice(0, i).join('.'))).filter(Boolean),
);

/** Refuses a key no setting reads, so that a misspelt one is not silently ignored. */
function checkKeys(doc: Mapping, file: string, prefix = ''): void {
  for (const [key, value] of Object.entries(doc)) {
    const at = prefix + key;
    if (yamlKeys.has(at)) continue;
    if (!yamlGroups.has(at)) throw new ConfigError(`config file ${file}: unknown key "${at}"`);
    if (!isMapping(value)) throw new ConfigError(`config file ${file}: "${at}" must hold a mapping`);
    checkKeys(value, file, `${at}.`);
  }
}

function invalid(setting: Setting, message: string): ConfigError {
  return new ConfigError(`invalid configuration ${setting.spec.env}: ${message}`);
}

/** A setting's value: its environment variable, else the file's key, else its default; parsed by its schema. */
function lookupIn(env: NodeJS.ProcessEnv, doc: Mapping): Lookup {
  const fromFile = (yamlKey: string): unknown => {
    let node: unknown = doc;
    for (const key of yamlKey.split('.')) node = isMapping(node) ? node[key] : undefined;
    return node;
  };
  const get: Lookup = (setting) => {
    const { spec } = setting;
    const fromEnv = env[spec.env];
    const given = fromEnv !== undefined && fromEnv !== '' ? fromEnv : fromFile(spec.yaml);
    const value =
      given !== undefined ? given : spec.default instanceof InWords ? spec.default.value(get) : spec.default;
    const parsed = spec.schema.safeParse(value);
    if (!parsed.success) throw invalid(setting, parsed.error.issues[0]!.message);
    return parsed.data;
  };
  return get;
}

function build<T extends SettingsTable>(table: T, get: Lookup): ConfigOf<T> {
  const entries = Object.entries(table).map(([key, entry]) => [
    key,
    entry instanceof Setting ? get(entry) : build(entry, get),
  ]);
  // Each of the table's keys with its setting's value, or its group's object: what ConfigOf<T> says.
  return Object.fromEntries(entries) as ConfigOf<T>;
}

/** Rules between settings, which no one schema can say. */
function checkAcross(config: AnvilConfig): void {
  const { conductor, boot } = settings;
  if (config.conductor.heartbeatTimeoutSeconds <= config.conductor.heartbeatIntervalSeconds) {
    throw invalid(
      conductor.heartbeatTimeoutSeconds,
      `must be longer than ${conductor.heartbeatIntervalSeconds.spec.env}`,
    );
  }
  if (config.boot.dhcpMode !== 'off' && config.boot.dhcpInterface === null) {
    throw invalid(boot.dhcpInterface, 'DHCP needs the interface to serve, e.g. eth1');
  }
  if (config.auth === 'basic' && config.access.htpasswd === null) {
    throw invalid(settings.access.htpasswd, `${settings.auth.spec.env}=basic needs the htpasswd file`);
  }
  if ((config.tls.cert === null) !== (config.tls.key === null)) {
    throw invalid(
      config.tls.cert === null ? settings.tls.cert : settings.tls.key,
      'TLS needs both a certificate and its key',
    );
  }
  checkAgentImagePairs(config);
}

/** A kernel without its ramdisk boots nothing: refused at start rather than skipped at a node's boot, as Ironic does. */
function checkAgentImagePairs(config: AnvilConfig): void {
  const s = settings.agentImages;
  const c = config.agentImages;
  const pairs = [
    [s.deployKernel, c.deployKernel, s.deployRamdisk, c.deployRamdisk],
    [s.rescueKernel, c.rescueKernel, s.rescueRamdisk, c.rescueRamdisk],
  ] as const;
  for (const [kernel, kernelValue, ramdisk, ramdiskValue] of pairs) {
    if (kernelValue !== null && ramdiskValue === null) throw invalid(kernel, `needs ${ramdisk.spec.env} too`);
    if (kernelValue === null && ramdiskValue !== null) throw invalid(ramdisk, `needs ${kernel.spec.env} too`);
  }
  const maps = [
    [s.deployKernelByArch, c.deployKernelByArch, s.deployRamdiskByArch, c.deployRamdiskByArch],
    [s.rescueKernelByArch, c.rescueKernelByArch, s.rescueRamdiskByArch, c.rescueRamdiskByArch],
  ] as const;
  for (const [kernels, kernelMap, ramdisks, ramdiskMap] of maps) {
    for (const [setting, map, other, otherMap] of [
      [kernels, kernelMap, ramdisks, ramdiskMap],
      [ramdisks, ramdiskMap, kernels, kernelMap],
    ] as const) {
      const alone = Object.keys(map).find((arch) => !Object.hasOwn(otherMap, arch));
      if (alone !== undefined) throw invalid(setting, `${alone} has no entry in ${other.spec.env}`);
    }
  }
}

/**
 * One typed configuration object, built from an optional YAML file
 * (`ANVIL_CONFIG`, or the path given) overlaid by `ANVIL_*` environment variables.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file = env.ANVIL_CONFIG): AnvilConfig {
  const doc = file ? readFile(file) : {};
  const config = build(settings, lookupIn(env, doc));
  checkAcross(config);
  return config;
}
