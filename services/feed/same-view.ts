import type { ChangeData } from './model.js';

/**
 * Whether two views of an object show the same thing, `updated_at` aside: a
 * write that only moved the timestamp, or set fields to what they were, is
 * no change a follower needs to see.
 */
export function isSameView(previous: ChangeData, next: ChangeData): boolean {
  const keys = new Set([...Object.keys(previous), ...Object.keys(next)]);
  keys.delete('updated_at');
  for (const key of keys) {
    if (!(key in previous && key in next && sameJson(previous[key], next[key]))) return false;
  }
  return true;
}

/**
 * Equality of JSON values. Objects are equal whatever their key order: a
 * node's `extra` written back with its keys reordered shows nothing new.
 * Lists keep their order, as the API shows them.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((key) => Object.hasOwn(right, key) && sameJson(left[key], right[key]))
  );
}
