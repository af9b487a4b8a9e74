// An `anvil serve` process started as an operator starts one, from the
// sources through tsx (a devDependency, so this works in a fresh clone after
// `npm ci` without building dist/). Tests kill it the way machines die.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.join(import.meta.dirname, '..', '..');
const CLI = path.join(ROOT, 'cli', 'anvil.ts');
/** The CLI as `npm start` runs it, from `npm run build`. */
const BUILT_CLI = path.join(ROOT, 'dist', 'cli', 'anvil.js');
/** Lines kept per process, to show what it said last when a test fails. */
const KEEP_LINES = 200;

export type ServeRole = 'all' | 'api' | 'conductor';

/** Every role `anvil serve` runs, the network boot services' own included. */
export type AnyServeRole = ServeRole | 'pxe';

/** What each part of a process logs once it is up: `all` starts the boot services last, `pxe` only them. */
export const CONDUCTOR_UP = 'conductor started';
export const API_UP = 'anvil API listening';
export const BOOT_UP = 'network boot services listening';

export interface AnvilProcess {
  readonly name: string;
  readonly pid: number;
  /** The API's base URL; null for a conductor. */
  readonly url: string | null;
  /** The last lines the process wrote (pino JSON on stdout, anything on stderr). */
  readonly lines: string[];
  /** Messages (`msg`) of the warnings and errors it logged, all of them. */
  readonly warnings: string[];
  readonly exited: Promise<number | null>;
  /** Sends `signal` and waits for the process to be gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `anvil serve --role <role>` with exactly `env` as its ANVIL_*
 * settings (none are inherited from the test's environment) and resolves
 * once it logged that it is up, or rejects with what it printed.
 */
export async function startAnvilProcess(
  name: string,
  role: ServeRole,
  env: Record<string, string>,
  readyMs = 30_000,
): Promise<AnvilProcess> {
  return launchAnvilProcess(name, role, env, { readyMessage: role === 'conductor' ? CONDUCTOR_UP : API_UP, readyMs });
}

export interface LaunchOptions {
  /** The log message (`msg`) after which the process counts as up. */
  readyMessage: string;
  readyMs?: number;
  /** Sees every line the process writes, beyond the last ones `lines` keeps. */
  onLine?: (line: string) => void;
  /**
   * Runs the build (dist/) as `npm start` does, for benchmarks that measure
   * the process: from source, tsx's loader and its wrappers that keep
   * function names add to its CPU and memory. The caller builds first.
   */
  fromBuild?: boolean;
}

/**
 * `startAnvilProcess` for any role, up once it logged `readyMessage`: a
 * process that runs the boot services too is of use to hosts only once
 * they listen, which is after its API.
 */
export async function launchAnvilProcess(
  name: string,
  role: AnyServeRole,
  env: Record<string, string>,
  { readyMessage, readyMs = 30_000, onLine, fromBuild = false }: LaunchOptions,
): Promise<AnvilProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ANVIL_')));
  const program = fromBuild ? [BUILT_CLI] : ['--import', 'tsx', CLI];
  const child: ChildProcess = spawn(process.execPath, [...program, 'serve', '--role', role], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const warnings: string[] = [];
  const keep = (line: string) => {
    onLine?.(line);
    lines.push(line);
    if (lines.length > KEEP_LINES) lines.shift();
  };
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let url: string | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${readyMs} ms:\n${lines.join('\n')}`)),
      readyMs,
    );
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was up:\n${lines.join('\n')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      keep(line);
      let entry: { level?: number; msg?: string; url?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if ((entry.level ?? 0) >= 40 && entry.msg) warnings.push(entry.msg);
      if (entry.msg === API_UP && entry.url) url = entry.url;
      if (entry.msg === readyMessage && (readyMessage !== API_UP || url !== null)) {
        clearTimeout(timer);
        resolve();
      }
    });
    createInterface({ input: child.stderr! }).on('line', keep);
  });
  try {
    await ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    name,
    pid: child.pid!,
    url,
    lines,
    warnings,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
