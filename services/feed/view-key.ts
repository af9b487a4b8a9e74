import { createHash } from 'node:crypto';
import type { ChangeData } from './model.js';

/**
 * A key of what a view of an object shows, `updated_at` aside, stored with
 * each change: two views have the same key exactly when a follower would see
 * the same thing in both, so the database itself can leave out a write that
 * only moved the timestamp or set fields to what they were. Objects count
 * as equal whatever their key order (a node's `extra` written back with its
 * keys reordered shows nothing new); lists keep their order, as the API
 * shows them.
 */
export function viewKey(data: ChangeData): string {
  const { updated_at: _aside, ...shown } = data;
  return createHash('sha256').update(canonicalJson(shown)).digest('base64url');
}

/** JSON with every object's keys sorted, at any depth. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
