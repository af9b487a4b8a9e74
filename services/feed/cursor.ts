import { col } from '../db/index.js';
import { InvalidCursor } from './errors.js';
import type { Since } from './model.js';

/**
 * Reads where a consumer starts: nothing given is the oldest record kept,
 * `now` only what commits next, and a cursor (a record's id, as the feed
 * hands them out) the records after it.
 */
export function parseSince(text: string | undefined): Since {
  if (text === undefined) return 'oldest';
  const trimmed = text.trim();
  if (trimmed === 'now') return 'now';
  if (!/^\d{1,16}$/.test(trimmed)) throw new InvalidCursor(text);
  const cursor = Number(trimmed);
  if (!Number.isSafeInteger(cursor)) throw new InvalidCursor(text);
  return cursor;
}

/** Cursors travel as strings: a client keeps them as they came and never does arithmetic on them. */
export function formatCursor(cursor: number): string {
  return String(cursor);
}

/** A cursor as the database answers it: a number on SQLite, a digit string for PostgreSQL's bigint. */
export const cursorColumn: col.ColumnCodec<number> = {
  expected: 'a cursor (a 64-bit id within 2^53)',
  decode(value, column) {
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return n;
    throw new col.RowDecodeError(`${column}: expected ${cursorColumn.expected}, got ${col.describeValue(value)}`);
  },
  encode: (value) => value,
};
