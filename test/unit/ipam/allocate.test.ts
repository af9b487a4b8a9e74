import { describe, expect, it } from 'vitest';
import { validatePool } from '../../../ipam/index.js';
import {
  decodePosition,
  encodePosition,
  findFreeAddress,
  randomPosition,
  searchSegments,
  type FreeAddressFinder,
} from '../../../ipam/allocate.js';
import { complement, mergeIntervals, skipForward } from '../../../ipam/intervals.js';

/** A finder over a set, counting the questions asked. */
function memoryFinder(held: Set<bigint>) {
  const finder = {
    queries: 0,
    async firstFree(from: bigint, to: bigint) {
      finder.queries++;
      for (let a = from; a <= to; a++) if (!held.has(a)) return a;
      return null;
    },
  } satisfies FreeAddressFinder & { queries: number };
  return finder;
}

describe('free-address search', () => {
  it('merges intervals and skips forward past them', () => {
    const merged = mergeIntervals([
      { lo: 5n, hi: 7n },
      { lo: 1n, hi: 2n },
      { lo: 3n, hi: 4n },
      { lo: 9n, hi: 9n },
    ]);
    expect(merged).toEqual([
      { lo: 1n, hi: 7n },
      { lo: 9n, hi: 9n },
    ]);
    expect(skipForward(0n, merged)).toBe(0n);
    expect(skipForward(1n, merged)).toBe(8n);
    expect(skipForward(9n, merged)).toBe(10n);
    expect(complement(merged, 0n, 12n)).toEqual([
      { lo: 0n, hi: 0n },
      { lo: 8n, hi: 8n },
      { lo: 10n, hi: 12n },
    ]);
  });

  it('steps over the gateway, exclusions and pre-allocations with one query per interval', async () => {
    const pool = validatePool({
      gateway: '10.0.0.1',
      excluded: ['10.0.0.2-10.0.0.4'],
      pre_allocations: { other: '10.0.0.5' },
      ranges: [{ subnet: '10.0.0.0/24' }],
    });
    const finder = memoryFinder(new Set());
    const found = await findFreeAddress(pool, finder, { range: 0, address: pool.ranges[0]!.start });
    expect(found).toEqual({ range: 0, address: 0x0a000006n });
    expect(finder.queries).toBe(1);
  });

  it('consumes ranges in declaration order, then wraps round to before the start point', async () => {
    const pool = validatePool({
      prefix: 24,
      ranges: [
        { start: '10.0.2.10', end: '10.0.2.11' },
        { start: '10.0.1.10', end: '10.0.1.11' },
      ],
    });
    const held = new Set([0x0a00020an, 0x0a00020bn]);
    expect(await findFreeAddress(pool, memoryFinder(held), { range: 0, address: 0x0a00020an })).toEqual({
      range: 1,
      address: 0x0a00010an,
    });
    held.add(0x0a00010an).add(0x0a00010bn);
    held.delete(0x0a00020an);
    expect(await findFreeAddress(pool, memoryFinder(held), { range: 1, address: 0x0a00010bn })).toEqual({
      range: 0,
      address: 0x0a00020an,
    });
    held.add(0x0a00020an);
    expect(await findFreeAddress(pool, memoryFinder(held), { range: 1, address: 0x0a00010an })).toBeNull();
  });

  it('searches every address exactly once from any start point', () => {
    const pool = validatePool({
      prefix: 24,
      ranges: [
        { start: '10.0.0.1', end: '10.0.0.5' },
        { start: '10.0.0.20', end: '10.0.0.22' },
      ],
    });
    for (const from of [
      { range: 0, address: 0x0a000003n },
      { range: 1, address: 0x0a000016n },
      { range: 2, address: 0n },
    ]) {
      const covered = searchSegments(pool, from).flatMap((s) =>
        Array.from({ length: Number(s.hi - s.lo + 1n) }, (_, i) => s.lo + BigInt(i)),
      );
      expect(covered.sort((a, b) => (a < b ? -1 : 1))).toEqual(
        [1n, 2n, 3n, 4n, 5n, 20n, 21n, 22n].map((n) => 0x0a000000n + n),
      );
    }
  });

  it('encodes positions so text order is declaration order', () => {
    const a = encodePosition('ipv4', { range: 0, address: 0xffffffffn });
    const b = encodePosition('ipv4', { range: 1, address: 0n });
    expect(a < b).toBe(true);
    expect(decodePosition(b)).toEqual({ range: 1, address: 0n });
  });

  it('picks random start points inside the ranges of a /64', () => {
    const pool = validatePool({ ranges: [{ subnet: '2001:db8::/64' }] });
    for (let i = 0; i < 100; i++) {
      const p = randomPosition(pool);
      expect(p.address >= pool.ranges[0]!.start && p.address <= pool.ranges[0]!.end).toBe(true);
    }
  });
});
