import type { Knex } from 'knex';
import { describeValue, generatedId, isRecord, RowDecodeError, type ColumnCodec } from './columns.js';

/**
 * How a table's rows become typed records and back. A repository describes
 * its table once, a column codec per field (JSON text, SQLite's 0/1
 * booleans, timestamps, closed sets of words), and reads every row through
 * it: each value is checked as it is read, so a row that does not fit its
 * type fails loudly at the repository instead of somewhere downstream.
 */

/** A row as the driver answers it, or as knex writes it. */
export type Row = Record<string, unknown>;

/** A codec per field of T: the compiler sees to it that none is missing or of the wrong type. */
export type Columns<T> = { readonly [K in keyof T]-?: ColumnCodec<T[K]> };

export interface RowCodec<T> {
  readonly table: string;
  fromRow(row: unknown): T;
  /** What `.first()` answers: a row, or undefined when none matched. */
  fromFirst(row: unknown): T | null;
  /** What `.first()` answers, when a missing row is an error: `missing()` is thrown. */
  fromFound(row: unknown, missing: () => Error): T;
  fromRows(rows: unknown): T[];
  /** The columns to write: fields left undefined and read-only columns are not written. */
  toRow(values: Partial<T>): Row;
  /** The codec of a few of the columns, for queries that select only those. */
  pick<K extends keyof T & string>(...keys: K[]): RowCodec<Pick<T, K>>;
}

export function rowCodec<T>(table: string, columns: Columns<T>): RowCodec<T> {
  const fromRow = (row: unknown): T => {
    if (!isRecord(row)) throw new RowDecodeError(`${table}: expected a row, got ${describeValue(row)}`);
    const record: Partial<T> = {};
    for (const key in columns) record[key] = columns[key].decode(row[key], `${table}.${key}`);
    // Every field is set: `columns` has a codec for each key of T (Columns<T> makes none optional).
    return record as T;
  };
  return {
    table,
    fromRow,
    fromFirst: (row) => (row === undefined ? null : fromRow(row)),
    fromFound(row, missing) {
      if (row === undefined) throw missing();
      return fromRow(row);
    },
    fromRows(rows) {
      if (!Array.isArray(rows)) throw new RowDecodeError(`${table}: expected rows, got ${describeValue(rows)}`);
      return rows.map(fromRow);
    },
    toRow(values) {
      const row: Row = {};
      for (const key in columns) {
        const column = columns[key];
        const value = values[key];
        if (value !== undefined && column.readOnly !== true) row[key] = column.encode(value);
      }
      return row;
    },
    pick<K extends keyof T & string>(...keys: K[]) {
      const picked: Partial<Columns<Pick<T, K>>> = {};
      for (const key of keys) picked[key] = columns[key];
      // Every key asked for is set, from the full table's codecs.
      return rowCodec(table, picked as Columns<Pick<T, K>>);
    },
  };
}

/**
 * Inserts `values` and answers the id the database gave the row (`returning`
 * works on both engines). What the database refuses goes through `translate`:
 * a unique violation becomes the domain's error.
 */
export async function insertRecord<T>(
  knex: Knex,
  codec: RowCodec<T>,
  values: Partial<T>,
  translate: (err: unknown) => unknown,
): Promise<number> {
  let inserted: unknown;
  try {
    inserted = await knex(codec.table).insert(codec.toRow(values)).returning('id');
  } catch (err) {
    throw translate(err);
  }
  const [first] = rowCodec<{ id: number }>(codec.table, { id: generatedId }).fromRows(inserted);
  if (!first) throw new RowDecodeError(`${codec.table}: the insert answered no id`);
  return first.id;
}
