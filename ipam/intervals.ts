/** A closed interval of addresses, [lo, hi]. */
export interface Interval {
  lo: bigint;
  hi: bigint;
}

/** Sorted, with overlapping and touching intervals merged. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.lo <= last.hi + 1n) {
      if (i.hi > last.hi) last.hi = i.hi;
    } else {
      out.push({ lo: i.lo, hi: i.hi });
    }
  }
  return out;
}

/** The parts of `intervals` (merged) that lie inside [lo, hi]. */
export function clipIntervals(intervals: readonly Interval[], lo: bigint, hi: bigint): Interval[] {
  const out: Interval[] = [];
  for (const i of intervals) {
    if (i.hi < lo || i.lo > hi) continue;
    out.push({ lo: i.lo < lo ? lo : i.lo, hi: i.hi > hi ? hi : i.hi });
  }
  return out;
}

/** The first address at or after `p` that no interval in `skips` (merged) covers. */
export function skipForward(p: bigint, skips: readonly Interval[]): bigint {
  let x = p;
  for (const s of skips) {
    if (s.hi < x) continue;
    if (s.lo > x) break;
    x = s.hi + 1n;
  }
  return x;
}

export function covers(intervals: readonly Interval[], value: bigint): boolean {
  return intervals.some((i) => value >= i.lo && value <= i.hi);
}

export function intervalSize(intervals: readonly Interval[]): bigint {
  return intervals.reduce((n, i) => n + (i.hi - i.lo + 1n), 0n);
}

/** What of [lo, hi] the intervals (merged, clipped to [lo, hi]) leave uncovered. */
export function complement(intervals: readonly Interval[], lo: bigint, hi: bigint): Interval[] {
  const out: Interval[] = [];
  let next = lo;
  for (const i of intervals) {
    if (i.lo > next) out.push({ lo: next, hi: i.lo - 1n });
    next = i.hi + 1n;
  }
  if (next <= hi) out.push({ lo: next, hi });
  return out;
}
