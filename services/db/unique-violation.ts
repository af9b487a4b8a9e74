/**
 * The column whose unique constraint `err` violated, or null when `err` is
 * something else. Both engines are read: SQLite names `table.column` in its
 * message; PostgreSQL names the constraint, which knex calls `table_column_unique`.
 */
export function uniqueViolationColumn(err: unknown, table: string): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { code?: unknown; message?: unknown; constraint?: unknown };
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof e.message === 'string') {
    const m = new RegExp(`UNIQUE constraint failed: ${table}\\.(\\w+)`).exec(e.message);
    return m ? m[1]! : null;
  }
  if (e.code === '23505' && typeof e.constraint === 'string') {
    const m = new RegExp(`^${table}_(\\w+)_unique$`).exec(e.constraint);
    return m ? m[1]! : null;
  }
  return null;
}

/**
 * What to throw for `err`: the error `errors` makes for the column whose
 * unique constraint it violated, or `err` itself.
 */
export function uniqueViolationError(
  err: unknown,
  table: string,
  errors: Readonly<Record<string, () => Error>>,
): unknown {
  const column = uniqueViolationColumn(err, table);
  const make = column === null ? undefined : errors[column];
  return make ? make() : err;
}
