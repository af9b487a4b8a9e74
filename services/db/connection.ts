import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { prepareStatements, type PgConnection } from './prepared-statements.js';
import { cacheStatements } from './statement-cache.js';

/** Distinct statements a SQLite connection keeps prepared: Anvil's queries are a few hundred texts. */
const SQLITE_STATEMENTS = 2000;
/** The same for a PostgreSQL connection, where each also holds memory in its server process. */
const POSTGRES_STATEMENTS = 500;

export type Engine = 'sqlite' | 'postgres';

export interface Database {
  knex: Knex;
  engine: Engine;
  close(): Promise<void>;
}

export class DatabaseUrlError extends Error {
  override readonly name = 'DatabaseUrlError';
}

/** Opens `sqlite:<file>` (WAL, foreign keys on) or `postgres://…`. */
export function openDatabase(url: string): Database {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url);
  throw new DatabaseUrlError(`unsupported database URL (expected sqlite:<file> or postgres://…): ${redactUrl(url)}`);
}

function openSqlite(file: string): Database {
  if (file === '') throw new DatabaseUrlError('sqlite: URL needs a file name, e.g. sqlite:./var/anvil.db');
  if (file !== ':memory:') createPrivately(file);
  const db = knex({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    pool: {
      // One writer is all SQLite allows; a single connection avoids SQLITE_BUSY
      // between our own connections while WAL keeps readers of other processes free.
      min: 1,
      max: 1,
      afterCreate(
        conn: { pragma(s: string): unknown; prepare(source: string): object },
        done: (err: Error | null, conn: unknown) => void,
      ) {
        conn.pragma('journal_mode = WAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        conn.pragma('synchronous = NORMAL');
        cacheStatements(conn, SQLITE_STATEMENTS);
        done(null, conn);
      },
    },
  });
  return { knex: db, engine: 'sqlite', close: () => db.destroy() };
}

/**
 * Creates the database file readable by its owner only, as the secret key
 * is: it holds every node's sealed BMC credentials and everything else.
 * SQLite gives its -wal and -shm files the database file's permissions. A
 * file that exists is left as its owner set it.
 */
function createPrivately(file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

function openPostgres(url: string): Database {
  const db = knex({
    client: 'pg',
    connection: url,
    pool: {
      min: 0,
      max: 10,
      afterCreate(conn: PgConnection, done: (err: Error | null, conn: unknown) => void) {
        prepareStatements(conn, POSTGRES_STATEMENTS);
        done(null, conn);
      },
    },
  });
  return { knex: db, engine: 'postgres', close: () => db.destroy() };
}

/** A URL fit for a log line or an error message: the password is never shown. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:******@');
}
