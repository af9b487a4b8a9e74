/**
 * Whether `err` is the database refusing a write for the foreign key
 * `constraint`: a reference to a row that does not exist, or the deletion of
 * a row still referenced. PostgreSQL names the constraint it enforced;
 * SQLite names none, so there any foreign key violation of the statement
 * counts, and the caller must know which reference the statement could break.
 */
export function isForeignKeyViolation(err: unknown, constraint: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; constraint?: unknown };
  if (e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return true;
  return e.code === '23503' && e.constraint === constraint;
}
