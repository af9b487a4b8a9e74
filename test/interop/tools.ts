import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Whether the interop test that needs `name` (a program on PATH, or an
 * absolute path) can run. A missing tool skips the test with one loud line,
 * except under CI=true, where it is a failure: CI must run every interop test.
 */
export function requireTool(name: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v "$0"`, name], { encoding: 'utf8' }).status === 0;
  return found || missing(`program ${name}`);
}

/** The same for a Python module seen by Debian's /usr/bin/python3 (where python3-* packages install). */
export function requirePythonModule(module: string): boolean {
  const found = spawnSync('/usr/bin/python3', ['-c', `import ${module}`], { encoding: 'utf8' }).status === 0;
  return found || missing(`Python module ${module} (for /usr/bin/python3)`);
}

/** The same for a file a Debian package installs (e.g. /usr/lib/ipxe/undionly.kpxe). */
export function requireFile(path: string): boolean {
  return existsSync(path) || missing(`file ${path}`);
}

function missing(what: string): false {
  const line = `!!! interop: ${what} is missing; run test/interop/install-tools.sh as root. The test is SKIPPED`;
  if (process.env.CI === 'true') throw new Error(`${line} — refused under CI=true`);
  console.warn(line);
  return false;
}

/** Stops a process group this test started (a detached child leads its own): SIGTERM, SIGKILL after 5 s. */
export async function stopGroup(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}
