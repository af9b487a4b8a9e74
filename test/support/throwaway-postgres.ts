// A PostgreSQL cluster of the test's own, in a directory it makes, on a free
// loopback port: for drills that stop and restart the server, which the
// machine's shared server must never be. initdb refuses root, so the cluster
// runs as the `postgres` user (runuser); without the binaries or that user,
// `throwawayPostgresProblem` says why and the drill is skipped loudly
// (a failure under CI=true).
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { TestDatabase } from './engines.js';

const run = promisify(execFile);

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  const found = versions.map((v) => path.join(root, v, 'bin')).find((dir) => existsSync(path.join(dir, 'pg_ctl')));
  return found ?? null;
}

/** Why no throwaway cluster can run here, or null when one can. */
export async function throwawayPostgresProblem(): Promise<string | null> {
  if (binDir() === null) return 'no PostgreSQL server binaries under /usr/lib/postgresql';
  if (process.getuid?.() !== 0) return 'the drill runs the cluster as the postgres user, which needs root';
  try {
    await run('id', ['-u', 'postgres']);
  } catch {
    return 'no postgres user';
  }
  return null;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ThrowawayPostgres {
  /** A database of its own in the cluster, as createTestDatabase gives one. */
  database: TestDatabase;
  /** `pg_ctl restart -m fast`: every connection is cut, the server comes back; resolves once it answers again. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = binDir()!;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-pg-'));
  chownSync(
    dir,
    Number((await run('id', ['-u', 'postgres'])).stdout),
    Number((await run('id', ['-g', 'postgres'])).stdout),
  );
  const data = path.join(dir, 'data');
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]);
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const ctl = (...args: string[]) =>
    asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', options, '-w', '-t', '60', ...args]);
  await ctl('start');
  const url = `postgres://postgres@127.0.0.1:${port}`;
  const admin = new pg.Client({ connectionString: `${url}/postgres` });
  await admin.connect();
  await admin.query('create database anvil');
  await admin.end();
  let stopped = false;
  return {
    database: { engine: 'postgres', url: `${url}/anvil`, drop: async () => undefined },
    restart: async () => {
      await ctl('restart', '-m', 'fast');
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await ctl('stop', '-m', 'immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
