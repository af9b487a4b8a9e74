import { randomBytes } from 'node:crypto';
import { toHex, fromHex, type IpFamily } from './address.js';
import { mergeIntervals, skipForward, type Interval } from './intervals.js';
import type { Pool } from './pool.js';

/** Where a search starts: a range (by declaration order) and an address in it. */
export interface Position {
  range: number;
  address: bigint;
}

/** The one question allocation asks of the database, answered with an index walk. */
export interface FreeAddressFinder {
  /** The lowest address in [from, to] that no claim holds, or null. */
  firstFree(from: bigint, to: bigint): Promise<bigint | null>;
}

export interface Found {
  range: number;
  address: bigint;
}

/**
 * The first assignable, unheld address at or after `from` in declaration
 * order, wrapping round to the pool's beginning, or null when there is none.
 * Reserved and pre-allocated addresses are stepped over by moving the start
 * past them and asking again, so the number of queries is bounded by the
 * number of such intervals, never by the size of the pool.
 */
export async function findFreeAddress(pool: Pool, finder: FreeAddressFinder, from: Position): Promise<Found | null> {
  for (const seg of searchSegments(pool, from)) {
    const address = await firstFreeInSegment(finder, seg.lo, seg.hi, seg.skips);
    if (address !== null) return { range: seg.range, address };
  }
  return null;
}

interface Segment {
  range: number;
  lo: bigint;
  hi: bigint;
  skips: Interval[];
}

/** From `from` to the end of the last range, then from the first range's start back up to `from`. */
export function searchSegments(pool: Pool, from: Position): Segment[] {
  const skips = skipsByRange(pool);
  const seg = (range: number, lo: bigint, hi: bigint): Segment => ({ range, lo, hi, skips: skips[range]! });
  const n = pool.ranges.length;
  if (from.range >= n) return pool.ranges.map((r, i) => seg(i, r.start, r.end));
  const here = pool.ranges[from.range]!;
  const at = from.address < here.start ? here.start : from.address;
  const out: Segment[] = [];
  if (at <= here.end) out.push(seg(from.range, at, here.end));
  for (let i = from.range + 1; i < n; i++) out.push(seg(i, pool.ranges[i]!.start, pool.ranges[i]!.end));
  for (let i = 0; i < from.range; i++) out.push(seg(i, pool.ranges[i]!.start, pool.ranges[i]!.end));
  if (at > here.start) out.push(seg(from.range, here.start, (at <= here.end ? at : here.end + 1n) - 1n));
  return out;
}

async function firstFreeInSegment(
  finder: FreeAddressFinder,
  lo: bigint,
  hi: bigint,
  skips: Interval[],
): Promise<bigint | null> {
  let p = lo;
  for (;;) {
    p = skipForward(p, skips);
    if (p > hi) return null;
    const q = await finder.firstFree(p, hi);
    if (q === null) return null;
    const past = skipForward(q, skips);
    if (past === q) return q;
    p = past;
  }
}

/** Per range: its reserved addresses plus every pre-allocated address inside it. */
function skipsByRange(pool: Pool): Interval[][] {
  const pre = [...pool.preAllocations.values()];
  return pool.ranges.map((r) =>
    mergeIntervals([...r.reserved, ...pre.filter((v) => v >= r.start && v <= r.end).map((v) => ({ lo: v, hi: v }))]),
  );
}

/** The pool's first position: where sequential allocation starts without a cursor. */
export function firstPosition(pool: Pool): Position {
  return { range: 0, address: pool.ranges[0]!.start };
}

/** The position just after `found` (the next range's start when it was its range's last address). */
export function positionAfter(pool: Pool, found: Found): Position {
  const range = pool.ranges[found.range]!;
  if (found.address < range.end) return { range: found.range, address: found.address + 1n };
  const next = pool.ranges[found.range + 1];
  return next ? { range: found.range + 1, address: next.start } : { range: pool.ranges.length, address: 0n };
}

/** A uniformly random position over all the pool's ranges: where a random pool starts its search. */
export function randomPosition(pool: Pool): Position {
  const total = pool.ranges.reduce((n, r) => n + (r.end - r.start + 1n), 0n);
  let offset = randomBelow(total);
  for (let i = 0; i < pool.ranges.length; i++) {
    const r = pool.ranges[i]!;
    const size = r.end - r.start + 1n;
    if (offset < size) return { range: i, address: r.start + offset };
    offset -= size;
  }
  return firstPosition(pool);
}

/**
 * A position as text whose order is declaration order (4 hex digits of range
 * index, then the address in fixed-width hex), so the database can compare
 * cursors with `<` and `>`.
 */
export function encodePosition(family: IpFamily, pos: Position): string {
  return pos.range.toString(16).padStart(4, '0') + toHex(family, pos.address);
}

export function decodePosition(text: string): Position {
  return { range: parseInt(text.slice(0, 4), 16), address: fromHex(text.slice(4)) };
}

function randomBelow(n: bigint): bigint {
  if (n <= 1n) return 0n;
  const bytes = Math.ceil(n.toString(16).length / 2) + 8;
  // 64 spare bits make the modulo bias negligible.
  return BigInt(`0x${randomBytes(bytes).toString('hex')}`) % n;
}
