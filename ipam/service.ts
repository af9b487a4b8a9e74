import type { Knex } from 'knex';
import { formatAddress, fromHex, maxAddress, parseAddress, toHex, type IpFamily } from './address.js';
import {
  decodePosition,
  encodePosition,
  findFreeAddress,
  firstPosition,
  positionAfter,
  randomPosition,
  type Found,
  type Position,
} from './allocate.js';
import {
  AddressUnavailable,
  AllocationContended,
  ClaimMismatch,
  ClaimNotFound,
  InvalidIpamInput,
  PoolAlreadyExists,
  PoolExhausted,
  PoolInUse,
  PoolNotFound,
} from './errors.js';
import { complement, intervalSize, mergeIntervals, type Interval } from './intervals.js';
import { isAssignable, rangeOf, validatePool, type Pool, type PoolSpec } from './pool.js';
import {
  IpamRepository,
  type AddressFilter,
  type ClaimChangeHook,
  type ClaimRecord,
  type ListPage,
  type PoolRecord,
} from './repository.js';

export interface PoolUsage {
  /** Addresses claims can hold: the ranges less reserved addresses (pre-allocated ones count). */
  size: bigint;
  allocated: number;
  free: bigint;
}

export interface PoolView {
  record: PoolRecord;
  pool: Pool;
}

/** A claim with its address and the network settings of the range that address is in. */
export interface ClaimView {
  record: ClaimRecord;
  family: IpFamily;
  address: string;
  prefix: number;
  gateway: string | null;
  dns_servers: string[];
}

export interface ClaimRequest {
  name: string;
  address?: string | null;
  owner?: string | null;
}

/** Unique violations a single claim may lose in a row before it gives up (each loss moves it on). */
const MAX_ATTEMPTS = 200;

/** Pools, claims and addresses; correctness under concurrency rests on the database's constraints. */
export class IpamService {
  private readonly repo: IpamRepository;

  /** `onClaimChange`: told of each claim made or released, in its transaction. */
  constructor(knex: Knex, onClaimChange: ClaimChangeHook | null = null) {
    this.repo = new IpamRepository(knex, onClaimChange);
  }

  async createPool(name: string, spec: PoolSpec): Promise<PoolView> {
    const pool = validatePool(spec);
    if ((await this.repo.insertPool(name, pool.family, pool.spec)) === 'name-taken') throw new PoolAlreadyExists(name);
    return this.getPool(name);
  }

  async getPool(ident: string): Promise<PoolView> {
    const record = await this.repo.findPool(ident);
    if (!record) throw new PoolNotFound(ident);
    return { record, pool: validatePool(record.spec) };
  }

  async listPools(page: ListPage<'id' | 'name'>): Promise<PoolView[]> {
    return (await this.repo.listPools(page)).map((record) => ({ record, pool: validatePool(record.spec) }));
  }

  async usage(view: PoolView): Promise<PoolUsage> {
    const size = view.pool.ranges.reduce((n, r) => n + (r.end - r.start + 1n) - intervalSize(r.reserved), 0n);
    const allocated = await this.repo.countAddresses(view.record.id);
    return { size, allocated, free: size - BigInt(allocated) };
  }

  /** Every pool's usage, for /metrics. */
  async allUsage(): Promise<{ pool: string; usage: PoolUsage }[]> {
    const out: { pool: string; usage: PoolUsage }[] = [];
    for (const record of await this.repo.listAllPools()) {
      out.push({ pool: record.name, usage: await this.usage({ record, pool: validatePool(record.spec) }) });
    }
    return out;
  }

  /**
   * Replaces a pool's definition with `compute(current spec)`. Refused when
   * the strategy would change, or when an address held now, or a
   * pre-allocation, would fall outside the new ranges or onto a reserved address.
   */
  async updatePool(ident: string, compute: (current: PoolView) => PoolSpec): Promise<PoolView> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.getPool(ident);
      const next = validatePool(compute(current));
      if (next.strategy !== current.pool.strategy) {
        throw new InvalidIpamInput(
          `allocation_strategy of pool ${current.record.name} is immutable (it is ${current.pool.strategy}).`,
        );
      }
      const applied = await this.repo.updatePool(current.record, next.spec, next.family, (trx) =>
        this.checkEditKeepsClaims(current.record, next, trx),
      );
      if (applied) return this.getPool(current.record.name);
    }
    throw new AllocationContended(ident, MAX_ATTEMPTS);
  }

  async deletePool(ident: string): Promise<void> {
    const { record } = await this.getPool(ident);
    if (!(await this.repo.deletePool(record.id)))
      throw new PoolInUse(record.name, await this.repo.countClaims(record.id));
  }

  /**
   * Claims an address for `req.name`, idempotently: an existing claim of that
   * name is returned as it is (`created` false). Otherwise, in Metal3's order:
   * the name's pre-allocation, then the requested address, then the first
   * free address (sequential from the cursor, or from a random point).
   */
  async claim(poolIdent: string, req: ClaimRequest): Promise<{ claim: ClaimView; created: boolean }> {
    let view: PoolView | null = null;
    let fixed: bigint | null = null;
    let searchFrom: Position | null = null;
    // The epoch read with the cursor: an advance is valid only if no release came after it.
    let cursorEpoch: number | null = null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (view === null) {
        view = await this.getPool(poolIdent);
        const existing = await this.repo.findClaim(view.record.id, req.name);
        if (existing) return { claim: this.claimView(view, matching(existing, req, view.pool)), created: false };
        fixed = fixedAddress(view.pool, view.record.name, req);
        searchFrom = null;
      }
      const { record, pool } = view;
      let found: Found | null;
      if (fixed !== null) {
        found = { range: rangeOf(pool, fixed)!.index, address: fixed };
      } else {
        if (searchFrom === null) {
          searchFrom = startingPoint(view);
          cursorEpoch = pool.strategy === 'sequential' ? record.cursorEpoch : null;
        }
        found = await findFreeAddress(
          pool,
          { firstFree: (a, b) => this.repo.firstFree(record.id, pool.family, a, b) },
          searchFrom,
        );
        if (found === null) throw new PoolExhausted(record.name);
      }

      const requested = req.address == null ? null : formatAddress(pool.family, fixedRequested(pool, req)!);
      const outcome = await this.repo.insertClaim(
        record,
        { name: req.name, owner: req.owner ?? null, requested_address: requested },
        found.address,
        pool.family,
      );
      if (typeof outcome !== 'string') {
        if (fixed === null && cursorEpoch !== null) {
          await this.repo.advanceCursor(
            record.id,
            cursorEpoch,
            encodePosition(pool.family, positionAfter(pool, found)),
          );
        }
        return { claim: this.claimView(view, outcome), created: true };
      }
      if (outcome === 'address-taken') {
        if (fixed !== null) {
          const holder = await this.repo.holderOf(record.id, toHex(pool.family, fixed));
          throw new AddressUnavailable(
            `Address ${formatAddress(pool.family, fixed)} in pool ${record.name} is held by claim ${holder ?? '(just released)'}; claim ${req.name} cannot have it.`,
          );
        }
        // Someone else won that address: search on from the next one, with the same view of the pool.
        searchFrom = positionAfter(pool, found);
      } else {
        // 'name-taken': the next round finds the winner's claim and returns it. 'pool-changed': start over.
        view = null;
      }
    }
    throw new AllocationContended(poolIdent, MAX_ATTEMPTS);
  }

  async getClaim(poolIdent: string, name: string): Promise<ClaimView> {
    const view = await this.getPool(poolIdent);
    const claim = await this.repo.findClaim(view.record.id, name);
    if (!claim) throw new ClaimNotFound(view.record.name, name);
    return this.claimView(view, claim);
  }

  async listClaims(poolIdent: string, page: ListPage<'id' | 'name'>): Promise<ClaimView[]> {
    const view = await this.getPool(poolIdent);
    return (await this.repo.listClaims(view.record.id, page)).map((c) => this.claimView(view, c));
  }

  /** Addresses with their claims; `filter.pool` is a pool name or uuid, `filter.address` any spelling of an address. */
  async listAddresses(
    filter: { pool?: string; claim?: string; owner?: string; address?: string },
    page: ListPage<'id' | 'address'>,
  ): Promise<ClaimView[]> {
    const byId = new Map<number, PoolView>();
    const where: AddressFilter = {};
    if (filter.pool !== undefined) {
      const view = await this.getPool(filter.pool);
      byId.set(view.record.id, view);
      where.pool = view.record.id;
    }
    if (filter.claim !== undefined) where.claim = filter.claim;
    if (filter.owner !== undefined) where.owner = filter.owner;
    if (filter.address !== undefined) {
      const parsed = parseAddress(filter.address);
      where.addressHex = toHex(parsed.family, parsed.value);
    }
    const records = await this.repo.listAddresses(where, page);
    const out: ClaimView[] = [];
    for (const c of records) {
      let view = byId.get(c.poolId);
      if (!view) {
        view = await this.getPool(c.pool);
        byId.set(c.poolId, view);
      }
      out.push(this.claimView(view, c));
    }
    return out;
  }

  /**
   * Who holds `address` (any spelling), in whichever pool: its claim's owner,
   * or null when no claim holds it or its claim has none. One indexed read,
   * for the boot services, which ask on every download.
   */
  async ownerOf(address: string): Promise<string | null> {
    const parsed = parseAddress(address);
    return this.repo.ownerOfAddress(toHex(parsed.family, parsed.value));
  }

  /** Releases a claim and frees its address exactly once: a second release is ClaimNotFound. */
  async release(poolIdent: string, name: string): Promise<void> {
    const view = await this.getPool(poolIdent);
    const claim = await this.repo.findClaim(view.record.id, name);
    if (!claim) throw new ClaimNotFound(view.record.name, name);
    await this.releaseRecord(view, claim);
  }

  /** Releases every claim an owner holds (a deleted node's, say); the number released. */
  async releaseOwnedBy(owner: string): Promise<number> {
    let released = 0;
    for (const claim of await this.repo.claimsOwnedBy(owner)) {
      try {
        await this.releaseRecord(await this.getPool(claim.pool), claim);
        released++;
      } catch (err) {
        if (!(err instanceof ClaimNotFound)) throw err;
      }
    }
    return released;
  }

  private async releaseRecord(view: PoolView, claim: ClaimRecord): Promise<void> {
    if (!(await this.repo.deleteClaim(claim.id))) throw new ClaimNotFound(view.record.name, claim.name);
    if (view.pool.strategy !== 'sequential') return;
    const freed = fromHex(claim.address);
    const at = rangeOf(view.pool, freed);
    if (at)
      await this.repo.lowerCursor(
        view.record.id,
        encodePosition(view.pool.family, { range: at.index, address: freed }),
      );
  }

  /**
   * Runs inside the edit's transaction with the pool locked: no held address
   * may land outside the new ranges or on a reserved address, and every
   * pre-allocation must be free or already held by its own claim. Each gap
   * in the new pool is one index probe, so this never walks the addresses.
   */
  private async checkEditKeepsClaims(record: PoolRecord, next: Pool, trx: Knex.Transaction): Promise<void> {
    const allowed: Interval[] = [];
    for (const r of next.ranges) allowed.push(...complement(r.reserved, r.start, r.end));
    const oldMax = maxAddress(record.family);
    const gaps =
      record.family === next.family ? complement(mergeIntervals(allowed), 0n, oldMax) : [{ lo: 0n, hi: oldMax }];
    for (const gap of gaps) {
      const held = await this.repo.firstHeldBetween(
        record.id,
        toHex(record.family, gap.lo),
        toHex(record.family, gap.hi),
        trx,
      );
      if (held !== null) {
        const claim = await this.repo.holderOf(record.id, held, trx);
        throw new InvalidIpamInput(
          `The edit would leave address ${formatAddress(record.family, fromHex(held))} (claim ${claim ?? '?'}) outside pool ${record.name}'s ranges or on a reserved address; release it first.`,
        );
      }
    }
    for (const [name, value] of next.preAllocations) {
      const holder = await this.repo.holderOf(record.id, toHex(next.family, value), trx);
      if (holder !== null && holder !== name) {
        throw new InvalidIpamInput(
          `Pre-allocation ${name}: ${formatAddress(next.family, value)} is held by claim ${holder}.`,
        );
      }
      const own = await this.repo.findClaim(record.id, name, trx);
      if (own && fromHex(own.address) !== value) {
        throw new InvalidIpamInput(
          `Pre-allocation ${name}: claim ${name} already holds ${formatAddress(next.family, fromHex(own.address))}; release it first.`,
        );
      }
    }
  }

  private claimView(view: PoolView, claim: ClaimRecord): ClaimView {
    const value = fromHex(claim.address);
    const at = rangeOf(view.pool, value);
    const range = at?.range;
    const family = view.pool.family;
    return {
      record: claim,
      family,
      address: formatAddress(family, value),
      prefix: range?.network.prefix ?? (family === 'ipv4' ? 32 : 128),
      gateway: range?.gateway == null ? null : formatAddress(family, range.gateway),
      dns_servers: (range?.dnsServers ?? []).map((d) => formatAddress(family, d)),
    };
  }
}

/** Where a free-address search starts: the sequential cursor, or a random point. */
function startingPoint(view: PoolView): Position {
  if (view.pool.strategy === 'random') return randomPosition(view.pool);
  return view.record.cursor === null ? firstPosition(view.pool) : decodePosition(view.record.cursor);
}

/** The requested address, parsed and held to the pool's family; null when none was asked for. */
function fixedRequested(pool: Pool, req: ClaimRequest): bigint | null {
  if (req.address == null) return null;
  const a = parseAddress(req.address, 'address');
  if (a.family !== pool.family) {
    throw new InvalidIpamInput(`Invalid address ${req.address}: pool is ${pool.family === 'ipv4' ? 'IPv4' : 'IPv6'}.`);
  }
  return a.value;
}

/** The pre-allocation or the requested address the claim must get, or null to search. */
function fixedAddress(pool: Pool, poolName: string, req: ClaimRequest): bigint | null {
  const requested = fixedRequested(pool, req);
  const pre = pool.preAllocations.get(req.name);
  if (pre !== undefined) {
    if (requested !== null && requested !== pre) {
      throw new AddressUnavailable(
        `Claim ${req.name} is pre-allocated ${formatAddress(pool.family, pre)} in pool ${poolName}; it cannot have ${formatAddress(pool.family, requested)}.`,
      );
    }
    return pre;
  }
  if (requested === null) return null;
  if (!isAssignable(pool, requested)) {
    throw new InvalidIpamInput(
      `Address ${formatAddress(pool.family, requested)} is outside pool ${poolName}'s ranges or reserved (excluded, gateway, network or broadcast).`,
    );
  }
  for (const [other, value] of pool.preAllocations) {
    if (value === requested) {
      throw new AddressUnavailable(
        `Address ${formatAddress(pool.family, requested)} in pool ${poolName} is pre-allocated to claim ${other}.`,
      );
    }
  }
  return requested;
}

/** An existing claim answers a repeated request only if the request asks for nothing different. */
function matching(existing: ClaimRecord, req: ClaimRequest, pool: Pool): ClaimRecord {
  const requested = fixedRequested(pool, req);
  if (requested !== null && requested !== fromHex(existing.address)) {
    throw new ClaimMismatch(
      `Claim ${existing.name} in pool ${existing.pool} already holds ${formatAddress(pool.family, fromHex(existing.address))}, not ${formatAddress(pool.family, requested)}.`,
    );
  }
  if (req.owner != null && existing.owner !== null && req.owner !== existing.owner) {
    throw new ClaimMismatch(
      `Claim ${existing.name} in pool ${existing.pool} belongs to ${existing.owner}, not ${req.owner}.`,
    );
  }
  return existing;
}
