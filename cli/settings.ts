import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from './errors.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';
import { yamlModule } from './yaml-module.js';

/** DESIGN.md §6: the CLI's endpoint when nothing else names one. */
export const DEFAULT_URL = 'http://127.0.0.1:6385';

export interface Settings {
  url: string;
  token: string | null;
  output: OutputFormat;
}

/** The global flags, as commander parsed them. */
export interface GlobalFlags {
  url?: string;
  token?: string;
  config?: string;
  output?: string;
}

interface ConfigFile {
  url?: string;
  token?: string;
  output?: string;
}

/** `$XDG_CONFIG_HOME/anvil/config.yaml`, else `~/.config/anvil/config.yaml`. */
function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'anvil', 'config.yaml');
}

/** Flags over ANVIL_URL/ANVIL_TOKEN over the config file over the defaults. */
export function resolveSettings(flags: GlobalFlags, env: NodeJS.ProcessEnv): Settings {
  const file = readConfigFile(flags.config ?? defaultConfigPath(env), flags.config !== undefined);
  const url = nonEmpty(flags.url) ?? nonEmpty(env.ANVIL_URL) ?? nonEmpty(file.url) ?? DEFAULT_URL;
  const token = nonEmpty(flags.token) ?? nonEmpty(env.ANVIL_TOKEN) ?? nonEmpty(file.token) ?? null;
  const output = flags.output ?? file.output ?? 'table';
  if (!isOutputFormat(output))
    throw new UsageError(`output format "${output}" is not one of ${OUTPUT_FORMATS.join(', ')}`);
  return { url: checkedUrl(url), token, output };
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
    throw new UsageError(`config file ${file}: expected a mapping of url, token, output`);
  const out: ConfigFile = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key !== 'url' && key !== 'token' && key !== 'output')
      throw new UsageError(`config file ${file}: unknown key "${key}" (expected url, token, output)`);
    if (typeof value !== 'string') throw new UsageError(`config file ${file}: ${key} must be a string`);
    out[key] = value;
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
