import { describe, expect, it } from 'vitest';
import { pythonRegex, RegexError } from '../../../../services/inspection-rules/python-regex.js';

describe('Python regular expressions read as JavaScript ones', () => {
  it('takes leading inline flags as flags', () => {
    expect(pythonRegex('(?i)dell', 'search').test('Dell Inc.')).toBe(true);
    expect(pythonRegex('(?s)a.b', 'search').test('a\nb')).toBe(true);
    expect(pythonRegex('a.b', 'search').test('a\nb')).toBe(false);
  });

  it('anchors a match at the start only, as re.match', () => {
    expect(pythonRegex('abc', 'match').test('abcdef')).toBe(true);
    expect(pythonRegex('abc', 'match').test('xabc')).toBe(false);
    expect(pythonRegex('a|b$', 'match').test('a-anything')).toBe(true);
    expect(pythonRegex('x\\d+', 'search').test('ax12')).toBe(true);
  });

  it("reads Python's own syntax: named groups and back-references, \\A and \\Z, $ before a final newline, ] first in a class", () => {
    expect(pythonRegex('(?P<v>ab)-(?P=v)', 'search').test('ab-ab')).toBe(true);
    expect(pythonRegex('(?P<v>ab)-(?P=v)', 'search').test('ab-ba')).toBe(false);
    expect(pythonRegex('\\Aab\\Z', 'search').test('ab')).toBe(true);
    expect(pythonRegex('\\Aab\\Z', 'search').test('ab\n')).toBe(false);
    expect(pythonRegex('ab$', 'search').test('ab\n')).toBe(true);
    expect(pythonRegex('[]x]+', 'match').test(']x]')).toBe(true);
  });

  it('refuses what it cannot read, saying why', () => {
    expect(() => pythonRegex('(?x) a b', 'search')).toThrow(new RegexError("the inline flag 'x' is not supported"));
    expect(() => pythonRegex('(abc', 'search')).toThrow('Unterminated group');
    expect(() => pythonRegex('abc\\', 'search')).toThrow('bad escape (end of pattern)');
  });
});
