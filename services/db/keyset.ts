import type { Knex } from 'knex';

export type SortDir = 'asc' | 'desc';

export interface KeysetPage {
  column: string;
  dir: SortDir;
  limit: number;
  /** Qualifies the columns when the query joins other tables. */
  table?: string;
  /** The row the previous page ended on: its sort value and id. */
  after?: { value: unknown; id: number };
}

/**
 * Orders by `column` then `id` and starts after the marker row. NULLs sort
 * first in ascending order on both engines (SQLite and PostgreSQL disagree by
 * default), so a marker on a NULL value pages the same everywhere.
 */
export function applyKeyset<T extends {}>(query: Knex.QueryBuilder<T>, page: KeysetPage): Knex.QueryBuilder<T> {
  const { dir, after } = page;
  const col = page.table ? `${page.table}.${page.column}` : page.column;
  const id = page.table ? `${page.table}.id` : 'id';
  const nullRank = `case when ${quote(col)} is null then 0 else 1 end`;
  if (after) {
    const forward = dir === 'asc';
    const cmp = forward ? '>' : '<';
    query.where((w) => {
      if (after.value === null || after.value === undefined) {
        w.where((x) => x.whereNull(col).andWhere(id, cmp, after.id));
        if (forward) w.orWhereNotNull(col);
      } else {
        if (!forward) w.whereNull(col);
        w.orWhere(col, cmp, after.value as Knex.Value);
        w.orWhere((x) => x.where(col, after.value as Knex.Value).andWhere(id, cmp, after.id));
      }
    });
  }
  return query.orderByRaw(`${nullRank} ${dir}`).orderBy(col, dir).orderBy(id, dir).limit(page.limit);
}

function quote(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(identifier)) throw new Error(`unsafe column name ${identifier}`);
  return identifier
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}
