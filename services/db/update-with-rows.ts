import type { Knex } from 'knex';
import { isPostgres } from './engine.js';
import type { Row } from './row-codec.js';

/** Rows of another table that go with a row's update (its history entries), each to be given the row's id. */
export interface RowsAlongside {
  table: string;
  rows: readonly Row[];
}

/**
 * Updates row `id` of `table` and inserts `alongside`'s rows, each with that
 * id in `foreignKey`; answers the row as written, or nothing (and inserts
 * nothing) where there is no such row. On PostgreSQL one statement does both:
 * a round trip to the server fewer per step, and atomic without a
 * transaction. SQLite has no insert inside a WITH, and its statements cost no
 * round trip: there it is an update, then an insert, which the caller runs
 * in a transaction.
 */
export async function updateWithRows(
  db: Knex,
  table: string,
  id: number,
  values: Row,
  alongside: RowsAlongside,
  foreignKey: string,
): Promise<unknown[]> {
  const update = db(table).where({ id }).update(values).returning('*');
  if (alongside.rows.length === 0) return (await update) as unknown[];
  if (!isPostgres(db)) {
    const rows = (await update) as unknown[];
    if (rows.length > 0) await db(alongside.table).insert(alongside.rows.map((row) => ({ ...row, [foreignKey]: id })));
    return rows;
  }
  const compiled = update.toSQL();
  const columns = [...new Set(alongside.rows.flatMap((row) => Object.keys(row)))];
  const selects = alongside.rows
    .map(() => `select ${columns.map(() => '?').join(', ')}, updated.id from updated`)
    .join(' union all ');
  const answer: unknown = await db.raw(
    `with updated as (${compiled.sql}),
     alongside as (insert into ?? (${columns.map(() => '??').join(', ')}, ??) ${selects})
     select * from updated`,
    [
      ...compiled.bindings,
      alongside.table,
      ...columns,
      foreignKey,
      ...alongside.rows.flatMap((row) => columns.map((column) => (row[column] ?? null) as Knex.Value)),
    ],
  );
  const rows: unknown = (answer as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) throw new Error(`update of ${table} with ${alongside.table}: the driver answered no rows`);
  return rows as unknown[];
}
