// Ironic 21.4 from Debian as one process (`ironic`, API and conductor with
// rpc_transport none), no auth, fake-hardware, on loopback: its own config
// directory, schema made by ironic-dbsync, on SQLite or a PostgreSQL database.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Debian's Python: its packages are not on any other interpreter's path. */
const PYTHON = '/usr/bin/python3';

export interface IronicProcess {
  url: string;
  version: string;
  stop(): Promise<void>;
}

/** Installs Ironic from Debian when it is absent (bench/vs-ironic/install-ironic.sh). */
export function ensureIronic(): void {
  execFileSync('bash', [path.join(import.meta.dirname, 'install-ironic.sh')], { stdio: 'inherit' });
}

function config(dir: string, port: number, database: string): string {
  const fake = ['boot', 'deploy', 'management', 'power'].map((i) => `enabled_${i}_interfaces = fake`);
  const optional = ['inspect', 'raid', 'vendor', 'bios', 'rescue'].map((i) => `enabled_${i}_interfaces = fake,no-${i}`);
  return [
    '[DEFAULT]',
    'auth_strategy = noauth',
    'enabled_hardware_types = fake-hardware',
    ...fake,
    ...optional,
    'enabled_console_interfaces = no-console',
    'enabled_network_interfaces = noop',
    'enabled_storage_interfaces = noop',
    'rpc_transport = none',
    'host = bench',
    '[api]',
    'host_ip = 127.0.0.1',
    `port = ${port}`,
    '[database]',
    `connection = ${database}`,
    '[conductor]',
    'automated_clean = false',
    '[dhcp]',
    'dhcp_provider = none',
    '[oslo_concurrency]',
    `lock_path = ${path.join(dir, 'locks')}`,
    '',
  ].join('\n');
}

/** The SQLAlchemy URL of a database: a file in `dir`, or the PostgreSQL one given (postgres://…). */
function sqlalchemyUrl(dir: string, postgresUrl: string | null): string {
  if (postgresUrl === null) return `sqlite:///${path.join(dir, 'ironic.db')}`;
  return postgresUrl.replace(/^postgres(ql)?:\/\//, 'postgresql+psycopg2://');
}

export async function startIronic(port: number, postgresUrl: string | null): Promise<IronicProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ironic-bench-'));
  const file = path.join(dir, 'ironic.conf');
  writeFileSync(file, config(dir, port, sqlalchemyUrl(dir, postgresUrl)));
  const run = (module: string, args: string[]) =>
    `import sys; from ${module} import main; sys.argv = ['ironic', '--config-file', '${file}', ${args.map((a) => `'${a}'`).join(', ')}]; sys.exit(main())`;
  execFileSync(PYTHON, ['-c', run('ironic.cmd.dbsync', ['create_schema'])], { stdio: 'ignore' });
  const child = spawn(PYTHON, ['-c', run('ironic.cmd.singleprocess', [])], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Ironic exited: ${log}`);
    try {
      const res = await fetch(`${url}/v1`);
      const body = (await res.json()) as { version?: { version?: string } };
      if (res.status === 200) return { url, version: body.version?.version ?? '?', stop };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Ironic did not answer within 60 s: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
