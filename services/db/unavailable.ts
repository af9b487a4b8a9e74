import { isResultTypeChanged } from './prepared-statements.js';

/**
 * Whether an error is the database being unable to serve right now (its disk
 * full, its server gone or restarting, no connection to be had) rather than a
 * fault in a request or in Anvil: such a request is answered 503 with what
 * an operator should look at, and may be tried again. Null for any other error.
 */
export function databaseUnavailable(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  if (isResultTypeChanged(err))
    return "The database's schema changed under this process's prepared statements (another Anvil process migrated it); try again.";
  const { code, name } = err as { code?: unknown; name?: unknown };
  switch (code) {
    // better-sqlite3's SqliteError codes.
    case 'SQLITE_FULL':
      return "The database's disk is full: nothing can be written until space is freed where ANVIL_DATA_DIR is (reads still work).";
    case 'SQLITE_READONLY':
      return 'The database file is read-only: check the permissions of ANVIL_DATA_DIR and its anvil.db.';
    case 'SQLITE_BUSY':
      return 'The database is busy with another writer; try again.';
    // PostgreSQL's SQLSTATEs (class 53: insufficient resources; 57: operator intervention; 08: connection exception).
    case '53100':
      return "PostgreSQL's disk is full: nothing can be written until space is freed on the database server.";
    case '53300':
      return 'PostgreSQL has no connection slot left (max_connections); try again.';
    case '57P01':
    case '57P02':
    case '57P03':
      return 'PostgreSQL is shutting down or starting up; try again in a moment.';
    case '08000':
    case '08001':
    case '08003':
    case '08006':
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
      return 'The database does not answer; Anvil reconnects by itself: try again in a moment.';
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_IOERR'))
    return `The database's disk failed a read or write (${code}): check the disk where ANVIL_DATA_DIR is.`;
  // knex's pool gave no connection in time; pg's client lost its server mid-query.
  if (name === 'KnexTimeoutError') return 'No database connection was free in time; try again.';
  const message = (err as { message?: unknown }).message;
  if (
    typeof message === 'string' &&
    /Connection terminated|connection is closed|Client has encountered a connection error/i.test(message)
  )
    return 'The connection to the database was lost; Anvil reconnects by itself: try again in a moment.';
  return null;
}
