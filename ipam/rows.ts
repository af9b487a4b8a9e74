/**
 * Typed reading of IPAM's rows. knex answers rows as untyped values; each
 * value is checked here as it is read, so a row that does not fit fails
 * loudly at the repository. IPAM imports nothing of Anvil's, so it has this
 * small reader of its own.
 */

/** A stored value that does not fit the type its column is declared with. */
export class IpamRowError extends Error {
  override readonly name = 'IpamRowError';
}

/** One row of `table`, read column by column. */
export class RowReader {
  private constructor(
    private readonly table: string,
    private readonly row: Record<string, unknown>,
  ) {}

  /** The row `value`, as knex answers it. */
  static of(value: unknown, table: string): RowReader {
    if (!isRecord(value)) throw new IpamRowError(`${table}: expected a row, got ${kind(value)}`);
    return new RowReader(table, value);
  }

  /** What `.first()` answers: a row, or undefined when none matched. */
  static first(value: unknown, table: string): RowReader | null {
    return value === undefined ? null : RowReader.of(value, table);
  }

  static all(value: unknown, table: string): RowReader[] {
    if (!Array.isArray(value)) throw new IpamRowError(`${table}: expected rows, got ${kind(value)}`);
    return value.map((row) => RowReader.of(row, table));
  }

  text(column: string): string {
    const value = this.row[column];
    if (typeof value === 'string') return value;
    throw this.mismatch(column, 'a string', value);
  }

  nullableText(column: string): string | null {
    return this.row[column] === null ? null : this.text(column);
  }

  integer(column: string): number {
    const value = this.row[column];
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    throw this.mismatch(column, 'an integer', value);
  }

  nullableInteger(column: string): number | null {
    return this.row[column] === null ? null : this.integer(column);
  }

  /** A count: SQLite answers a number, PostgreSQL a bigint as decimal text. */
  count(column: string): number {
    const value = this.row[column];
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
    throw this.mismatch(column, 'a count', value);
  }

  /** A text column holding one of a closed set of words. */
  oneOf<T extends string>(column: string, values: readonly T[]): T {
    const value = this.row[column];
    const found = values.find((v) => v === value);
    if (found !== undefined) return found;
    throw this.mismatch(column, `one of ${values.join(', ')}`, value);
  }

  /** A JSON document in a text column, checked by `is` once parsed. */
  json<T>(column: string, is: (value: unknown) => value is T): T {
    const text = this.text(column);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new IpamRowError(`${this.table}.${column}: expected JSON text, got text that is not JSON`);
    }
    if (is(parsed)) return parsed;
    throw this.mismatch(column, 'JSON of another shape', parsed);
  }

  nullableJson<T>(column: string, is: (value: unknown) => value is T): T | null {
    return this.row[column] === null ? null : this.json(column, is);
  }

  /** A value to sort and page by: text or a number. */
  sortValue(column: string): string | number {
    const value = this.row[column];
    if (typeof value === 'string' || typeof value === 'number') return value;
    throw this.mismatch(column, 'a string or a number', value);
  }

  private mismatch(column: string, expected: string, value: unknown): IpamRowError {
    return new IpamRowError(`${this.table}.${column}: expected ${expected}, got ${kind(value)}`);
  }
}

/** The id `insert(...).returning('id')` answers, on either engine. */
export function insertedId(value: unknown, table: string): number {
  const [row] = RowReader.all(value, table);
  if (!row) throw new IpamRowError(`${table}: the insert answered no id`);
  return row.integer('id');
}

/** The rows of a `knex.raw` query: pg answers a result object holding them, SQLite the rows themselves. */
export function rawRows(result: unknown, table: string): RowReader[] {
  return RowReader.all(isRecord(result) ? result.rows : result, table);
}

export function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

export function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The kind of value found, never the value itself. */
function kind(value: unknown): string {
  if (value === undefined) return 'no such column';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
