import { describe, expect, it } from 'vitest';
import { formatCursor, InvalidCursor, parseSince } from '../../../../services/feed/index.js';

describe('parseSince', () => {
  it('reads nothing as the oldest record kept, "now" as only what comes next, and digits as a cursor', () => {
    expect(parseSince(undefined)).toBe('oldest');
    expect(parseSince('now')).toBe('now');
    expect(parseSince('0')).toBe(0);
    expect(parseSince(' 42 ')).toBe(42);
    expect(parseSince(formatCursor(9_007_199_254_740_991))).toBe(9_007_199_254_740_991);
  });

  it.each(['', 'abc', '-1', '1.5', '1e3', '0x10', 'NOW', '9007199254740993', '12345678901234567'])(
    'refuses %j as a cursor, saying what a cursor is',
    (text) => {
      expect(() => parseSince(text)).toThrow(InvalidCursor);
      expect(() => parseSince(text)).toThrow(`Invalid cursor "${text}": a cursor is the "cursor" of an event`);
    },
  );
});
