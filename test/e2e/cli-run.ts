// The `anvil` CLI run as a user runs it: a separate process from the
// sources through tsx (a devDependency, so it works in a fresh clone after
// `npm ci`), with its own HOME so no developer's config file leaks in.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.join(import.meta.dirname, '..', '..');
export const CLI = path.join(REPO, 'cli', 'anvil.ts');
/** The command line that starts the CLI, for shells (runbooks, tmux). */
/** tsx as a file URL: the CLI's working directory in these tests is not the repository. */
const TSX = import.meta.resolve('tsx');
export const ANVIL_COMMAND = `${process.execPath} --import ${TSX} ${CLI}`;
/** Node's arguments that run the CLI, for a wrapper program (prlimit) to start it with. */
export const CLI_ARGV = ['--import', TSX, CLI];
const RUN_LIMIT_MS = 60_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  url: string;
  /** An empty HOME of the test's own. */
  home: string;
  cwd: string;
  close(): void;
}

/** A HOME and working directory for one suite; ANVIL_URL points at `url`. */
export function cliEnv(url: string): CliEnv {
  const home = mkdtempSync(path.join(os.tmpdir(), 'anvil-cli-home-'));
  return { url, home, cwd: home, close: () => rmSync(home, { recursive: true, force: true }) };
}

/** The environment a CLI process gets: the test's own, minus every ANVIL_* and the developer's HOME. */
export function processEnv(env: CliEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('ANVIL_') && k !== 'XDG_CONFIG_HOME'),
  );
  return { ...inherited, HOME: env.home, ANVIL_URL: env.url, ...extra };
}

/** Runs `anvil ...args` to the end; never longer than a minute. */
export function anvil(env: CliEnv, args: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return finished(startAnvil(env, args, extra));
}

export function startAnvil(env: CliEnv, args: string[], extra: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [...CLI_ARGV, ...args], {
    cwd: env.cwd,
    env: processEnv(env, extra),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output until it exits; past the limit, `kill` (default: SIGKILL to the child). */
export function finished(child: ChildProcess, kill: () => void = () => child.kill('SIGKILL')): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(kill, RUN_LIMIT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** stderr's lines, without the blank end. */
export function errorLines(result: CliResult): string[] {
  return result.stderr.split('\n').filter((l) => l !== '');
}
