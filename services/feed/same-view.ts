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
    if (JSON.stringify(previous[key]) !== JSON.stringify(next[key])) return false;
  }
  return true;
}
