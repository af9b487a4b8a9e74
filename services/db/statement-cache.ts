/**
 * knex's better-sqlite3 dialect prepares a statement for every query it
 * sends, and parsing SQL took a tenth of the service's CPU in a fleet run.
 * A connection wrapped here keeps its statements by text and hands the same
 * one out again. A better-sqlite3 statement is reusable once its `all` or
 * `run` has returned, which knex's synchronous calls always have; SQLite
 * prepares it again by itself after a schema change.
 */

interface Preparing<S> {
  prepare(source: string): S;
}

/** Caches `connection`'s prepared statements, the `capacity` most recently used. */
export function cacheStatements<S>(connection: Preparing<S>, capacity: number): void {
  const prepare = connection.prepare.bind(connection);
  const cache = new Map<string, S>();
  connection.prepare = (source: string): S => {
    const hit = cache.get(source);
    if (hit !== undefined) {
      // Map keeps insertion order: moved to the end, the least recently used stays first.
      cache.delete(source);
      cache.set(source, hit);
      return hit;
    }
    const statement = prepare(source);
    cache.set(source, statement);
    if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
    return statement;
  };
}
