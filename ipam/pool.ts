import {
  cidrContains,
  checkPrefix,
  FAMILY_BITS,
  formatAddress,
  formatCidr,
  lastOf,
  networkOf,
  parseAddress,
  parseCidr,
  type Cidr,
  type IpFamily,
} from './address.js';
import { InvalidIpamInput } from './errors.js';
import { clipIntervals, covers, mergeIntervals, type Interval } from './intervals.js';

export type AllocationStrategy = 'sequential' | 'random';
export const ALLOCATION_STRATEGIES: readonly AllocationStrategy[] = ['sequential', 'random'];

/** One range as a client writes it (Metal3's `pools[]` entry); null or absent means "inherit" or "derive". */
export interface RangeSpec {
  start?: string | null;
  end?: string | null;
  subnet?: string | null;
  prefix?: number | null;
  gateway?: string | null;
  dns_servers?: string[] | null;
}

/** A pool's definition as a client writes it (the API's snake_case shape). */
export interface PoolSpec {
  allocation_strategy?: AllocationStrategy;
  prefix?: number | null;
  gateway?: string | null;
  dns_servers?: string[];
  ranges: RangeSpec[];
  /** Addresses (`10.0.0.9`), spans (`10.0.0.10-10.0.0.19`) or CIDRs never handed out. */
  excluded?: string[];
  /** Claim name → the address that claim always gets. */
  pre_allocations?: Record<string, string>;
}

/** The same, normalised: every field present, addresses in canonical form, start and end resolved. */
export interface CanonicalRangeSpec {
  start: string;
  end: string;
  subnet: string | null;
  prefix: number | null;
  gateway: string | null;
  dns_servers: string[] | null;
}
export interface CanonicalPoolSpec {
  allocation_strategy: AllocationStrategy;
  prefix: number | null;
  gateway: string | null;
  dns_servers: string[];
  ranges: CanonicalRangeSpec[];
  excluded: string[];
  pre_allocations: Record<string, string>;
}

/** A range ready for allocation: bounds as numbers and the settings its addresses carry. */
export interface PoolRange {
  start: bigint;
  end: bigint;
  /** The network hosts in this range are on (prefix and gateway apply to it). */
  network: Cidr;
  gateway: bigint | null;
  dnsServers: bigint[];
  /** Addresses in [start, end] never handed out: excluded, the gateway, the IPv4 network and broadcast. */
  reserved: Interval[];
}

export interface Pool {
  family: IpFamily;
  strategy: AllocationStrategy;
  ranges: PoolRange[];
  preAllocations: ReadonlyMap<string, bigint>;
  spec: CanonicalPoolSpec;
}

/**
 * Checks a pool definition and resolves it; every rejection is an
 * InvalidIpamInput that says what is wrong and where. Pure.
 */
export function validatePool(spec: PoolSpec): Pool {
  const family = new FamilyCheck();
  const strategy = spec.allocation_strategy ?? 'sequential';
  if (!ALLOCATION_STRATEGIES.includes(strategy)) {
    throw new InvalidIpamInput(
      `Invalid allocation_strategy ${JSON.stringify(strategy)}: expected sequential or random.`,
    );
  }
  const poolGateway = spec.gateway == null ? null : family.address(spec.gateway, 'gateway');
  const poolDns = (spec.dns_servers ?? []).map((d, i) => family.address(d, `dns_servers/${i}`));
  if (!Array.isArray(spec.ranges) || spec.ranges.length === 0) {
    throw new InvalidIpamInput('A pool needs at least one range (start/end and/or subnet).');
  }
  // Ranges first fix the family, so a prefix can be checked against it.
  const parsed = spec.ranges.map((r, i) => parseRange(r, i, family));
  const poolPrefix = spec.prefix == null ? null : checkPrefix(family.current(), spec.prefix, 'prefix');
  const excluded = mergeIntervals((spec.excluded ?? []).map((e, i) => family.span(e, `excluded/${i}`)));

  const ranges: PoolRange[] = [];
  const canonicalRanges: CanonicalRangeSpec[] = [];
  parsed.forEach((r, i) => {
    const where = `ranges/${i}`;
    const prefix = r.prefix ?? r.subnet?.prefix ?? poolPrefix;
    if (prefix === null)
      throw new InvalidIpamInput(`${where} needs a prefix: give it a subnet or a prefix, or give the pool a prefix.`);
    const anchor = r.subnet?.network ?? r.start ?? r.end!;
    const network: Cidr = { family: family.current(), network: networkOf(anchor, family.current(), prefix), prefix };
    const bounds = r.subnet ?? network;
    if (bounds.prefix < prefix) {
      throw new InvalidIpamInput(
        `${where}: prefix /${prefix} is longer than its subnet ${formatCidr(bounds)}; its hosts would not share one network.`,
      );
    }
    const v4Hosts = family.current() === 'ipv4' && prefix <= 30;
    // As Metal3: start defaults to the subnet address + 1, end to its last host.
    const roomy = bounds.prefix <= FAMILY_BITS[family.current()] - 2;
    const start = r.start ?? (roomy ? bounds.network + 1n : bounds.network);
    const end = r.end ?? (v4Hosts ? lastOf(bounds) - 1n : lastOf(bounds));
    for (const [name, value] of [
      ['start', start],
      ['end', end],
    ] as const) {
      if (!cidrContains(bounds, value)) {
        throw new InvalidIpamInput(
          `${where}: ${name} ${formatAddress(family.current(), value)} is outside ${formatCidr(bounds)}.`,
        );
      }
    }
    if (start > end) {
      throw new InvalidIpamInput(
        `${where}: start ${formatAddress(family.current(), start)} is after end ${formatAddress(family.current(), end)}.`,
      );
    }
    const gateway = r.gateway ?? poolGateway;
    if (gateway !== null && !cidrContains(network, gateway)) {
      throw new InvalidIpamInput(
        `${where}: gateway ${formatAddress(family.current(), gateway)} is outside the range's network ${formatCidr(network)}.`,
      );
    }
    const reserved: Interval[] = [...excluded];
    if (gateway !== null) reserved.push({ lo: gateway, hi: gateway });
    if (v4Hosts)
      reserved.push({ lo: network.network, hi: network.network }, { lo: lastOf(network), hi: lastOf(network) });
    ranges.push({
      start,
      end,
      network,
      gateway,
      dnsServers: r.dns ?? poolDns,
      reserved: clipIntervals(mergeIntervals(reserved), start, end),
    });
    canonicalRanges.push({
      start: formatAddress(family.current(), start),
      end: formatAddress(family.current(), end),
      subnet: r.subnet ? formatCidr(r.subnet) : null,
      prefix: r.prefix,
      gateway: r.gateway === null ? null : formatAddress(family.current(), r.gateway),
      dns_servers: r.dns === null ? null : r.dns.map((d) => formatAddress(family.current(), d)),
    });
  });
  checkOverlaps(ranges, family.current());

  const preAllocations = new Map<string, bigint>();
  const holder = new Map<bigint, string>();
  for (const [claim, text] of Object.entries(spec.pre_allocations ?? {})) {
    if (claim === '') throw new InvalidIpamInput('A pre-allocation needs a claim name.');
    const value = family.address(text, `pre_allocations/${claim}`);
    const shown = formatAddress(family.current(), value);
    const other = holder.get(value);
    if (other !== undefined)
      throw new InvalidIpamInput(
        `Pre-allocations ${other} and ${claim} both name ${shown}; an address can be pre-allocated once.`,
      );
    const range = ranges.find((rg) => value >= rg.start && value <= rg.end);
    if (!range) throw new InvalidIpamInput(`Pre-allocation ${claim}: ${shown} is outside the pool's ranges.`);
    if (covers(range.reserved, value)) {
      throw new InvalidIpamInput(
        `Pre-allocation ${claim}: ${shown} is reserved (excluded, the gateway, or a network or broadcast address).`,
      );
    }
    holder.set(value, claim);
    preAllocations.set(claim, value);
  }

  return {
    family: family.current(),
    strategy,
    ranges,
    preAllocations,
    spec: {
      allocation_strategy: strategy,
      prefix: poolPrefix,
      gateway: poolGateway === null ? null : formatAddress(family.current(), poolGateway),
      dns_servers: poolDns.map((d) => formatAddress(family.current(), d)),
      ranges: canonicalRanges,
      excluded: (spec.excluded ?? []).map((e) => canonicalSpan(e)),
      pre_allocations: Object.fromEntries([...preAllocations].map(([c, v]) => [c, formatAddress(family.current(), v)])),
    },
  };
}

/** The range holding `value` and its index, or null when no range does. */
export function rangeOf(pool: Pool, value: bigint): { index: number; range: PoolRange } | null {
  const index = pool.ranges.findIndex((r) => value >= r.start && value <= r.end);
  return index < 0 ? null : { index, range: pool.ranges[index]! };
}

/** Whether `value` may be held by a claim: inside a range and not reserved. */
export function isAssignable(pool: Pool, value: bigint): boolean {
  const found = rangeOf(pool, value);
  return found !== null && !covers(found.range.reserved, value);
}

interface ParsedRange {
  start: bigint | null;
  end: bigint | null;
  subnet: Cidr | null;
  prefix: number | null;
  gateway: bigint | null;
  dns: bigint[] | null;
}

function parseRange(r: RangeSpec, i: number, family: FamilyCheck): ParsedRange {
  const where = `ranges/${i}`;
  if (r.start == null && r.end == null && r.subnet == null) {
    throw new InvalidIpamInput(`${where} needs at least one of start, end and subnet.`);
  }
  const subnet = r.subnet == null ? null : family.cidr(r.subnet, `${where}/subnet`);
  const start = r.start == null ? null : family.address(r.start, `${where}/start`);
  const end = r.end == null ? null : family.address(r.end, `${where}/end`);
  return {
    subnet,
    start,
    end,
    prefix: r.prefix == null ? null : checkPrefix(family.current(), r.prefix, `${where}/prefix`),
    gateway: r.gateway == null ? null : family.address(r.gateway, `${where}/gateway`),
    dns: r.dns_servers == null ? null : r.dns_servers.map((d, j) => family.address(d, `${where}/dns_servers/${j}`)),
  };
}

function checkOverlaps(ranges: PoolRange[], family: IpFamily): void {
  const order = ranges.map((r, i) => ({ r, i })).sort((a, b) => (a.r.start < b.r.start ? -1 : 1));
  for (let k = 1; k < order.length; k++) {
    const prev = order[k - 1]!;
    const cur = order[k]!;
    if (cur.r.start <= prev.r.end) {
      throw new InvalidIpamInput(
        `ranges/${prev.i} and ranges/${cur.i} overlap at ${formatAddress(family, cur.r.start)}; a pool's ranges must be disjoint.`,
      );
    }
  }
}

function canonicalSpan(text: string): string {
  if (text.includes('/')) return formatCidr(parseCidr(text));
  const dash = text.indexOf('-');
  if (dash < 0) {
    const a = parseAddress(text);
    return formatAddress(a.family, a.value);
  }
  const lo = parseAddress(text.slice(0, dash));
  const hi = parseAddress(text.slice(dash + 1));
  return `${formatAddress(lo.family, lo.value)}-${formatAddress(hi.family, hi.value)}`;
}

/** Parses addresses while holding every one of them to the pool's single family. */
class FamilyCheck {
  private family: IpFamily | null = null;

  current(): IpFamily {
    return this.family ?? 'ipv4';
  }

  address(text: unknown, what: string): bigint {
    if (typeof text !== 'string') throw new InvalidIpamInput(`Invalid ${what}: expected an address as a string.`);
    const a = parseAddress(text, what);
    this.hold(a.family, what, text);
    return a.value;
  }

  cidr(text: unknown, what: string): Cidr {
    if (typeof text !== 'string') throw new InvalidIpamInput(`Invalid ${what}: expected a CIDR as a string.`);
    const c = parseCidr(text, what);
    this.hold(c.family, what, text);
    return c;
  }

  /** `a`, `a-b` or a CIDR, as an interval. */
  span(text: unknown, what: string): Interval {
    if (typeof text !== 'string')
      throw new InvalidIpamInput(`Invalid ${what}: expected an address, a span a-b or a CIDR.`);
    if (text.includes('/')) {
      const c = this.cidr(text, what);
      return { lo: c.network, hi: lastOf(c) };
    }
    const dash = text.indexOf('-');
    if (dash < 0) {
      const v = this.address(text, what);
      return { lo: v, hi: v };
    }
    const lo = this.address(text.slice(0, dash), what);
    const hi = this.address(text.slice(dash + 1), what);
    if (lo > hi)
      throw new InvalidIpamInput(`Invalid ${what} ${JSON.stringify(text)}: its first address is after its last.`);
    return { lo, hi };
  }

  private hold(family: IpFamily, what: string, text: string): void {
    if (this.family === null) this.family = family;
    else if (this.family !== family) {
      throw new InvalidIpamInput(
        `Invalid ${what} ${JSON.stringify(text)}: a pool is either IPv4 or IPv6, not both (dual stack is two pools).`,
      );
    }
  }
}
