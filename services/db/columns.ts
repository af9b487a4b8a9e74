/**
 * The column types a repository describes its table with: how each stored
 * value (JSON text, SQLite's 0/1 booleans, timestamps, closed sets of words)
 * is checked and read into a field, and written back.
 */

/** A stored value that does not fit the type its column is declared with. */
export class RowDecodeError extends Error {
  override readonly name = 'RowDecodeError';
}

/** One column: how its stored value becomes the field's value, and back. */
export interface ColumnCodec<T> {
  /** What the column holds, for the error message when it does not. */
  readonly expected: string;
  /** Read, never written: generated ids and columns joined from other tables. */
  readonly readOnly?: boolean;
  /** The field's value; throws RowDecodeError naming `column` when the stored value does not fit. */
  decode(value: unknown, column: string): T;
  encode(value: T): unknown;
}

/** A column whose stored value is the field's value, once `is` accepts it. */
function plain<T>(expected: string, is: (value: unknown) => value is T): ColumnCodec<T> {
  return {
    expected,
    decode(value, column) {
      if (is(value)) return value;
      throw mismatch(column, expected, describeValue(value));
    },
    encode: (value) => value,
  };
}

export const text = plain('a string', (v): v is string => typeof v === 'string');

export const integer = plain('an integer', (v): v is number => typeof v === 'number' && Number.isSafeInteger(v));

/** ISO 8601 text in UTC (text columns, so both engines answer a string that sorts as time does). */
export const timestamp = plain(
  'an ISO 8601 timestamp',
  (v): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
);

/** PostgreSQL answers a boolean; SQLite stores 0 or 1. */
export const boolean: ColumnCodec<boolean> = {
  expected: 'a boolean (or 0/1)',
  decode(value, column) {
    if (typeof value === 'boolean') return value;
    if (value === 0 || value === 1) return value === 1;
    throw mismatch(column, boolean.expected, describeValue(value));
  },
  encode: (value) => value,
};

/** A text column holding one of a closed set of words (a state, a severity). */
export function oneOf<T extends string>(values: readonly T[]): ColumnCodec<T> {
  return plain(`one of ${values.join(', ')}`, (v): v is T => values.some((w) => w === v));
}

export function nullable<T>(inner: ColumnCodec<T>): ColumnCodec<T | null> {
  return {
    expected: `${inner.expected} or null`,
    readOnly: inner.readOnly ?? false,
    decode: (value, column) => (value === null ? null : inner.decode(value, column)),
    encode: (value) => (value === null ? null : inner.encode(value)),
  };
}

export function readOnly<T>(inner: ColumnCodec<T>): ColumnCodec<T> {
  return { ...inner, readOnly: true };
}

/**
 * A JSON document in a text column (portable across both engines), checked
 * by `is` once parsed. `transform` rewrites the document on its way in and
 * out, inside the JSON: how sensitive values are sealed at rest.
 */
export function json<T>(
  expected: string,
  is: (value: unknown) => value is T,
  transform?: { read(parsed: unknown): unknown; write(value: T): unknown },
): ColumnCodec<T> {
  const what = `JSON text of ${expected}`;
  return {
    expected: what,
    decode(value, column) {
      if (typeof value !== 'string') throw mismatch(column, what, describeValue(value));
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw mismatch(column, what, 'text that is not JSON');
      }
      const document = transform ? transform.read(parsed) : parsed;
      if (!is(document)) throw mismatch(column, what, `JSON of ${describeValue(document)}`);
      return document;
    },
    encode: (value) => JSON.stringify(transform ? transform.write(value) : value),
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

export const jsonObject = json('an object', isRecord);
export const jsonStringList = json('a list of strings', isStringList);

/** The id the database generates for every row. */
export const generatedId = readOnly(integer);

function mismatch(column: string, expected: string, got: string): RowDecodeError {
  return new RowDecodeError(`${column}: expected ${expected}, got ${got}`);
}

/** The kind of value found, never the value itself: a column may hold sealed secrets. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'no such column';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
