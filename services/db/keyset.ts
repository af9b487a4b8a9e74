import type { Knex } from 'knex';
import { integer, isRecord, RowDecodeError } from './columns.js';
import type { RowCodec } from './row-codec.js';

export type SortDir = 'asc' | 'desc';

/** A page as Ironic's collections ask for one: sort key and direction, limit, and the uuid of the last row seen. */
export interface PageRequest<K extends string = string> {
  sortKey: K;
  sortDir: SortDir;
  limit: number;
  marker?: string;
}

/**
 * One page of `query` (rows of `codec.table`, perhaps joined with others),
 * read through `codec`. A marker that names no row raises `NotFound`.
 */
export async function listPage<T>(
  knex: Knex,
  codec: RowCodec<T>,
  query: Knex.QueryBuilder,
  page: PageRequest,
  NotFound: new (marker: string) => Error,
): Promise<T[]> {
  const { table } = codec;
  let after: KeysetPage['after'];
  if (page.marker !== undefined) {
    const marker: unknown = await knex(table).where({ uuid: page.marker }).first();
    if (!isRecord(marker)) throw new NotFound(page.marker);
    after = {
      value: sortValue(marker[page.sortKey], `${table}.${page.sortKey}`),
      id: integer.decode(marker.id, `${table}.id`),
    };
  }
  const rows: unknown = await applyKeyset(query, {
    table,
    column: page.sortKey,
    dir: page.sortDir,
    limit: page.limit,
    ...(after ? { after } : {}),
  });
  return codec.fromRows(rows);
}

interface KeysetPage {
  column: string;
  dir: SortDir;
  limit: number;
  /** Qualifies the columns, as the query may join other tables. */
  table: string;
  /** The row the previous page ended on: its sort value and id. */
  after?: { value: SortValue; id: number };
}

/**
 * Orders by `column` then `id` and starts after the marker row. NULLs sort
 * first in ascending order on both engines (SQLite and PostgreSQL disagree by
 * default), so a marker on a NULL value pages the same everywhere.
 */
function applyKeyset(query: Knex.QueryBuilder, page: KeysetPage): Knex.QueryBuilder {
  const { dir, after } = page;
  const col = `${page.table}.${page.column}`;
  const id = `${page.table}.id`;
  const nullRank = `case when ${quote(col)} is null then 0 else 1 end`;
  if (after) {
    const forward = dir === 'asc';
    const cmp = forward ? '>' : '<';
    query.where((w) => {
      if (after.value === null) {
        w.where((x) => {
          x.whereNull(col).andWhere(id, cmp, after.id);
        });
        if (forward) w.orWhereNotNull(col);
      } else {
        if (!forward) w.whereNull(col);
        w.orWhere(col, cmp, after.value);
        w.orWhere((x) => {
          x.where(col, after.value).andWhere(id, cmp, after.id);
        });
      }
    });
  }
  return query.orderByRaw(`${nullRank} ${dir}`).orderBy(col, dir).orderBy(id, dir).limit(page.limit);
}

/** What a sortable column holds: sort keys are plain columns, never JSON documents. */
type SortValue = string | number | boolean | null;

function sortValue(value: unknown, column: string): SortValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  throw new RowDecodeError(`${column}: cannot sort by a value of type ${typeof value}`);
}

function quote(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(identifier)) throw new Error(`unsafe column name ${identifier}`);
  return identifier
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}
