import { describe, expect, it } from 'vitest';
import { isUuidLike, isValidNodeName, normalizeMac, normalizeUuid } from '../../../services/nodes/identifiers.js';

describe('identifiers', () => {
  it('normalises MACs with either separator and refuses others', () => {
    expect(normalizeMac('52-54-00-AB-cd-01')).toBe('52:54:00:ab:cd:01');
    expect(normalizeMac('52:54:00:ab:cd:01')).toBe('52:54:00:ab:cd:01');
    for (const bad of ['', '52:54:00:ab:cd', '52:54:00:ab:cd:01:02', 'zz:54:00:ab:cd:01', '5254.00ab.cd01']) {
      expect(normalizeMac(bad), bad).toBeNull();
    }
  });

  it('accepts RFC 3986 unreserved names that are not uuids', () => {
    expect(isValidNodeName('ns~bmh-1.rack_2')).toBe(true);
    expect(isValidNodeName('has space')).toBe(false);
    expect(isValidNodeName('a/b')).toBe(false);
    expect(isValidNodeName('')).toBe(false);
    expect(isValidNodeName('11111111-2222-4333-8444-555555555555')).toBe(false);
  });

  it('recognises uuids with or without dashes and normalises them', () => {
    expect(isUuidLike('11111111222243338444555555555555')).toBe(true);
    expect(normalizeUuid('11111111222243338444AAAAAAAAAAAA')).toBe('11111111-2222-4333-8444-aaaaaaaaaaaa');
    expect(isUuidLike('1111')).toBe(false);
  });
});
