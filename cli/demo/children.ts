import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ChildFailed } from '../errors.js';
import { programArgs } from '../programs.js';

/** A program the demo runs, its output in a log file of the demo's. */
export interface DemoChild {
  readonly name: string;
  readonly pid: number;
  readonly log: string;
  /** Settles once the program has exited, whoever stopped it. */
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within the grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;
const START_LIMIT_MS = 60_000;

export interface ChildSpec {
  name: string;
  program: 'anvil' | 'anvil-sim';
  args: string[];
  env: NodeJS.ProcessEnv;
  log: string;
  /** Whether a line of its output (stdout or stderr) says it is ready. */
  ready: (line: string) => boolean;
  /** The line of its output that best says why it failed, from all of them. */
  reason: (lines: readonly string[]) => string | undefined;
  /** Aborted (Ctrl-C): stop waiting for it and stop it. */
  signal: AbortSignal;
}

/**
 * Starts a program in a process group of its own, so that the terminal's
 * Ctrl-C reaches the demo alone and the demo stops its children in order.
 * Resolves once the program says it is ready; a program that exits first,
 * or is not ready within a minute, is a ChildFailed with its own words.
 */
export function startChild(spec: ChildSpec): Promise<DemoChild> {
  const child = spawn(process.execPath, [...programArgs(spec.program), ...spec.args], {
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const log = createWriteStream(spec.log, { flags: 'a', mode: 0o600 });
  // 'close', not 'exit': by then every line it wrote has been read.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const lines: string[] = [];
  return new Promise<DemoChild>((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stopProcess(child, exited)
        .then(() => closeLog(log))
        .then(() => reject(new ChildFailed(`${spec.name}: ${why}`)));
    };
    const timer = setTimeout(() => fail(`not ready after ${START_LIMIT_MS / 1000} s; see ${spec.log}`), START_LIMIT_MS);
    const onLine = (line: string) => {
      log.write(`${line}\n`);
      if (settled) return;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (!spec.ready(line)) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        name: spec.name,
        pid: child.pid!,
        log: spec.log,
        exited,
        stop: () => stopProcess(child, exited).then(() => closeLog(log)),
      });
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('error', (err) => fail(`cannot start: ${err.message}`));
    spec.signal.addEventListener('abort', () => fail('interrupted while starting'), { once: true });
    child.once('close', (code, signal) => {
      const why = spec.reason(lines) ?? `exited (${signal ?? `code ${code}`}); see ${spec.log}`;
      fail(why);
    });
  });
}

function stopProcess(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  return exited.then(() => clearTimeout(kill));
}

function closeLog(log: WriteStream): Promise<void> {
  return new Promise((resolve) => log.end(resolve));
}
