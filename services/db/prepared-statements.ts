/**
 * PostgreSQL parses, analyses and plans every statement knex sends, as knex
 * sends each one unnamed: in a lifecycle benchmark that was a quarter of the
 * server's CPU, on the same two cores as Anvil. A connection wrapped here
 * gives each distinct statement with parameters a name of its own, so pg
 * prepares it on that connection once and later only binds and executes it,
 * and PostgreSQL plans it once it has seen it a few times (a generic plan).
 *
 * Two costs of named statements are handled here. They live as long as the
 * connection, so each connection keeps its `capacity` most recently used and
 * deallocates the rest. And a prepared statement whose result columns change
 * (`select *` once another Anvil process has migrated the schema, in a
 * rolling upgrade) fails with "cached plan must not change result type": the
 * connection then forgets every statement it prepared, so the next attempt
 * prepares afresh, and the error reads as the database being briefly unable
 * to serve (databaseUnavailable), which callers retry.
 */
import { LRUCache } from 'lru-cache';

/** The part of a pg `Client` this uses. */
export interface PgConnection {
  query(config: unknown, ...rest: unknown[]): unknown;
  connection?: { parsedStatements?: Record<string, string> };
}

type Callback = (err: unknown, result: unknown) => void;

/** SQLSTATE 0A000 (feature not supported), with this message: a prepared statement's result columns changed. */
export function isResultTypeChanged(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}

/** Names `connection`'s statements with parameters, keeping the `capacity` most recently used prepared. */
export function prepareStatements(connection: PgConnection, capacity: number): void {
  const query = connection.query.bind(connection);
  let next = 0;
  const forget = (name: string): void => {
    if (connection.connection?.parsedStatements) delete connection.connection.parsedStatements[name];
  };
  const names = new LRUCache<string, string>({
    max: capacity,
    dispose: (name, _text, reason) => {
      forget(name);
      // An evicted statement is deallocated after whatever the connection is running; a cleared cache deallocated all at once.
      if (reason === 'evict') query(`DEALLOCATE "${name}"`, () => undefined);
    },
  });
  connection.query = (config: unknown, ...rest: unknown[]): unknown => {
    const callback = rest[0];
    if (!isParameterized(config) || typeof callback !== 'function') return query(config, ...rest);
    let name = names.get(config.text);
    if (name === undefined) {
      name = `anvil_${next++}`;
      names.set(config.text, name);
    }
    return query({ ...config, name }, (err: unknown, result: unknown) => {
      if (isResultTypeChanged(err)) {
        names.clear();
        query('DEALLOCATE ALL', () => undefined);
      }
      (callback as Callback)(err, result);
    });
  };
}

function isParameterized(config: unknown): config is { text: string; values: unknown[]; name?: undefined } {
  if (typeof config !== 'object' || config === null) return false;
  const { text, values, name } = config as { text?: unknown; values?: unknown; name?: unknown };
  return typeof text === 'string' && Array.isArray(values) && values.length > 0 && name === undefined;
}
