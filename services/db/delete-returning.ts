import type { Knex } from 'knex';
import { isPostgres } from './engine.js';

/**
 * Deletes the rows matching `where` and answers them as they were (the
 * `columns` asked for), in one statement. A delete's change carries the
 * object's last state, and reading it first would make the transaction a
 * reader before it writes: on SQLite another process's commit in between
 * then fails the write (SQLITE_BUSY_SNAPSHOT) instead of waiting for it.
 * knex drops `returning` from a delete on SQLite, so there it is appended to
 * the compiled statement (SQLite has had DELETE ... RETURNING since 3.35).
 */
export async function deleteReturning(
  trx: Knex.Transaction,
  table: string,
  where: Record<string, string | number | null>,
  columns: readonly string[],
): Promise<unknown[]> {
  if (isPostgres(trx)) {
    const rows: unknown[] = await trx(table)
      .where(where)
      .delete()
      .returning([...columns]);
    return rows;
  }
  const { sql, bindings } = trx(table).where(where).delete().toSQL().toNative();
  const quoted = columns.map((c) => `"${c}"`).join(', ');
  const rows: unknown = await trx.raw(`${sql} returning ${quoted}`, bindings);
  if (!Array.isArray(rows)) throw new Error(`delete from ${table} returning: the driver answered no rows`);
  const deleted: unknown[] = rows;
  return deleted;
}
