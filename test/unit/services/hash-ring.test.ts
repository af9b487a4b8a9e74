import { describe, expect, it } from 'vitest';
import { HashRing } from '../../../services/conductor/hash-ring.js';

const keys = Array.from({ length: 5000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

describe('HashRing', () => {
  it('gives every key to exactly one member, the same one every time', () => {
    const ring = new HashRing(['c1', 'c2', 'c3']);
    for (const k of keys.slice(0, 100)) {
      expect(['c1', 'c2', 'c3']).toContain(ring.ownerOf(k));
      expect(new HashRing(['c3', 'c1', 'c2']).ownerOf(k)).toBe(ring.ownerOf(k));
    }
  });

  it('spreads keys roughly evenly', () => {
    const ring = new HashRing(['c1', 'c2', 'c3']);
    const counts = new Map<string, number>();
    for (const k of keys) counts.set(ring.ownerOf(k)!, (counts.get(ring.ownerOf(k)!) ?? 0) + 1);
    for (const n of counts.values()) expect(n).toBeGreaterThan(5000 / 3 / 1.6);
  });

  it("moves only the departed member's keys when one leaves", () => {
    const before = new HashRing(['c1', 'c2', 'c3']);
    const after = new HashRing(['c1', 'c3']);
    for (const k of keys) {
      const owner = before.ownerOf(k);
      if (owner !== 'c2') expect(after.ownerOf(k)).toBe(owner);
      else expect(['c1', 'c3']).toContain(after.ownerOf(k));
    }
  });

  it('has no owner when empty', () => {
    expect(new HashRing([]).ownerOf('x')).toBeNull();
  });
});
