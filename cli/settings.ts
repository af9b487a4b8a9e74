import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from './errors.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';
import { yamlModule } from './yaml-module.js';

/** DESIGN.md §6: the CLI's endpoint when nothing else names one. */
export const DEFAULT_URL = 'http://127.0.0.1:6385';

/** How the CLI proves who it is: a bearer token, a user and password (basic auth), or nothing. */
export type Credentials =
  { kind: 'token'; token: string } | { kind: 'basic'; username: string; password: string } | null;

export interface Settings {
  url: string;
  credentials: Credentials;
  /** A PEM file of CA certificates to trust for an https URL (a private CA's). */
  cacert: string | null;
  output: OutputFormat;
}

/** The global flags, as commander parsed them. */
export interface GlobalFlags {
  url?: string;
  token?: string;
  username?: string;
  password?: string;
  cacert?: string;
  config?: string;
  output?: string;
}

const FILE_KEYS = ['url', 'token', 'username', 'password', 'cacert', 'output'] as const;
type ConfigFile = Partial<Record<(typeof FILE_KEYS)[number], string>>;

/** `$XDG_CONFIG_HOME/anvil/config.yaml`, else `~/.config/anvil/config.yaml`. */
function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'anvil', 'config.yaml');
}

/** Flags over ANVIL_* variables over the config file over the defaults. */
export function resolveSettings(flags: GlobalFlags, env: NodeJS.ProcessEnv): Settings {
  const file = readConfigFile(flags.config ?? defaultConfigPath(env), flags.config !== undefined);
  const pick = (flag: string | undefined, variable: string | undefined, fromFile: string | undefined) =>
    nonEmpty(flag) ?? nonEmpty(variable) ?? nonEmpty(fromFile) ?? null;
  const url = pick(flags.url, env.ANVIL_URL, file.url) ?? DEFAULT_URL;
  const output = flags.output ?? file.output ?? 'table';
  if (!isOutputFormat(output))
    throw new UsageError(`output format "${output}" is not one of ${OUTPUT_FORMATS.join(', ')}`);
  return {
    url: checkedUrl(url),
    credentials: credentialsOf(
      pick(flags.token, env.ANVIL_TOKEN, file.token),
      pick(flags.username, env.ANVIL_USERNAME, file.username),
      pick(flags.password, env.ANVIL_PASSWORD, file.password),
    ),
    cacert: pick(flags.cacert, env.ANVIL_CACERT, file.cacert),
    output,
  };
}

function credentialsOf(token: string | null, username: string | null, password: string | null): Credentials {
  if (token !== null && username !== null) throw new UsageError('give a token or a user name and password, not both');
  if (token !== null) return { kind: 'token', token };
  if (username === null && password === null) return null;
  if (username === null || password === null)
    throw new UsageError('basic auth needs both --username and --password (or ANVIL_USERNAME and ANVIL_PASSWORD)');
  return { kind: 'basic', username, password };
}

function readConfigFile(file: string, named: boolean): ConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // The default file is optional; one named with --config must exist.
    if (!named && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = yamlModule().parse(text);
  } catch (err) {
    throw new UsageError(`config file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(`config file ${file}: expected a mapping of ${FILE_KEYS.join(', ')}`);
  const out: ConfigFile = {};
  for (const [key, value] of Object.entries(parsed)) {
    const known = FILE_KEYS.find((k) => k === key);
    if (known === undefined)
      throw new UsageError(`config file ${file}: unknown key "${key}" (expected ${FILE_KEYS.join(', ')})`);
    if (typeof value !== 'string') throw new UsageError(`config file ${file}: ${key} must be a string`);
    out[known] = value;
  }
  return out;
}

function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`Anvil URL "${url}" is not a valid URL (expected e.g. ${DEFAULT_URL})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`Anvil URL "${url}" must be http or https`);
  return url.replace(/\/+$/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}
