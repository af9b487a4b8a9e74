import { createHash } from 'node:crypto';

/**
 * A consistent hash ring over conductor names: each conductor holds
 * `partitions` points on a 32-bit circle, and a node belongs to the first
 * point at or after the hash of its uuid. Adding or removing one conductor
 * moves only the nodes that land on its points.
 */
export class HashRing {
  private readonly points: { at: number; owner: string }[];

  constructor(
    readonly members: readonly string[],
    partitions = 64,
  ) {
    this.points = [...new Set(members)]
      .flatMap((owner) => Array.from({ length: partitions }, (_, i) => ({ at: hash32(`${owner}#${i}`), owner })))
      .sort((a, b) => a.at - b.at || a.owner.localeCompare(b.owner));
  }

  /** The member that owns `key`, or null on an empty ring. */
  ownerOf(key: string): string | null {
    if (this.points.length === 0) return null;
    const h = hash32(key);
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]!.at < h) lo = mid + 1;
      else hi = mid;
    }
    return this.points[lo % this.points.length]!.owner;
  }
}

function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}
