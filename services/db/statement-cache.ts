/**
 * knex's better-sqlite3 dialect prepares a statement for every query it
 * sends, and parsing SQL took a tenth of the service's CPU in a fleet run.
 * A connection wrapped here keeps its statements by text and hands the same
 * one out again. A better-sqlite3 statement is reusable once its `all` or
 * `run` has returned, which knex's synchronous calls always have; SQLite
 * prepares it again by itself after a schema change.
 */
import { LRUCache } from 'lru-cache';

interface Preparing<S extends object> {
  prepare(source: string): S;
}

/** Caches `connection`'s prepared statements, the `capacity` most recently used. */
export function cacheStatements<S extends object>(connection: Preparing<S>, capacity: number): void {
  const prepare = connection.prepare.bind(connection);
  const cache = new LRUCache<string, S>({ max: capacity });
  connection.prepare = (source: string): S => {
    let statement = cache.get(source);
    if (statement === undefined) {
      statement = prepare(source);
      cache.set(source, statement);
    }
    return statement;
  };
}
