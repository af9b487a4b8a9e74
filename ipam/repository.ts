import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { formatAddress, fromHex, maxAddress, parseAddress, toHex, type IpFamily } from './address.js';
import { MarkerNotFound } from './errors.js';
import { ALLOCATION_STRATEGIES, type CanonicalPoolSpec, type CanonicalRangeSpec } from './pool.js';
import { insertedId, isStringList, isStringRecord, rawRows, RowReader } from './rows.js';
import { isPostgres } from './schema.js';

/** A pool row with its ranges, as stored. */
export interface PoolRecord {
  id: number;
  uuid: string;
  name: string;
  family: IpFamily;
  spec: CanonicalPoolSpec;
  version: number;
  cursor: string | null;
  cursorEpoch: number;
  created_at: string;
  updated_at: string | null;
}

/** A claim with the address it holds. */
export interface ClaimRecord {
  id: number;
  uuid: string;
  pool: string;
  poolId: number;
  name: string;
  owner: string | null;
  requested_address: string | null;
  /** Hex; every stored claim holds exactly one address (they are written together). */
  address: string;
  address_uuid: string;
  created_at: string;
}

export interface AddressFilter {
  pool?: number;
  claim?: string;
  owner?: string;
  /** Fixed-width hex, as stored. */
  addressHex?: string;
}

export interface ListPage<K extends string> {
  limit: number;
  marker?: string;
  sortKey: K;
  sortDir: 'asc' | 'desc';
}

/** A claim as Anvil's change feed shows it: the address in its usual spelling. */
export interface ClaimChange {
  uuid: string;
  pool: string;
  name: string;
  owner: string | null;
  address: string;
  requested_address: string | null;
  created_at: string;
}

/**
 * Told of each claim made or released, inside the transaction that writes
 * it and after its last write there (Anvil's change feed records it there,
 * so the feed holds a claim exactly when the database does).
 */
export type ClaimChangeHook = (
  trx: Knex.Transaction,
  action: 'created' | 'deleted',
  claim: ClaimChange,
) => Promise<void>;

/** The stored claim, or why it could not be stored. */
export type InsertOutcome = ClaimRecord | 'name-taken' | 'address-taken' | 'pool-changed';

const FAMILIES: readonly IpFamily[] = ['ipv4', 'ipv6'];

/** Why a claim's transaction was rolled back, when the database refused it for a reason the caller handles. */
class ClaimRefused extends Error {
  constructor(readonly outcome: Exclude<InsertOutcome, ClaimRecord>) {
    super(outcome);
  }
}

/** IPAM's tables over the knex connection it is given. Thin: it decides nothing. */
export class IpamRepository {
  private readonly postgres: boolean;

  constructor(
    private readonly knex: Knex,
    private readonly onClaimChange: ClaimChangeHook | null = null,
  ) {
    this.postgres = isPostgres(knex);
  }

  async insertPool(name: string, family: IpFamily, spec: CanonicalPoolSpec): Promise<'inserted' | 'name-taken'> {
    const now = new Date().toISOString();
    try {
      await this.knex.transaction(async (trx) => {
        const inserted: unknown = await trx('ipam_pools')
          .insert({ uuid: randomUUID(), name, family, ...poolColumns(spec), created_at: now })
          .returning('id');
        await insertRanges(trx, insertedId(inserted, 'ipam_pools'), family, spec.ranges);
      });
      return 'inserted';
    } catch (err) {
      if (isUniqueViolation(err)) return 'name-taken';
      throw err;
    }
  }

  async findPool(ident: string): Promise<PoolRecord | null> {
    const row = RowReader.first(
      await this.knex('ipam_pools').where({ name: ident }).orWhere({ uuid: ident }).first(),
      'ipam_pools',
    );
    return row ? this.withRanges(row) : null;
  }

  async listPools(page: ListPage<'id' | 'name'>): Promise<PoolRecord[]> {
    const rows = await this.page(this.knex('ipam_pools'), 'ipam_pools', page);
    return Promise.all(rows.map((r) => this.withRanges(r)));
  }

  async listAllPools(): Promise<PoolRecord[]> {
    const rows = RowReader.all(await this.knex('ipam_pools').orderBy('id'), 'ipam_pools');
    return Promise.all(rows.map((r) => this.withRanges(r)));
  }

  /**
   * Replaces a pool's definition if it is still at `version`, after `check`
   * has passed with the pool locked against concurrent claims. The cursor is
   * reset: it described the old ranges.
   */
  async updatePool(
    pool: PoolRecord,
    spec: CanonicalPoolSpec,
    family: IpFamily,
    check: (trx: Knex.Transaction) => Promise<void>,
  ): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      // PostgreSQL: FOR UPDATE waits for claims in flight (their FK check holds KEY SHARE on the
      // pool row) and holds new ones until this commits. SQLite: the UPDATE takes the write lock.
      if (this.postgres) await trx('ipam_pools').where({ id: pool.id }).forUpdate().first();
      const bumped = await trx('ipam_pools')
        .where({ id: pool.id, version: pool.version })
        .update({
          ...poolColumns(spec),
          family,
          version: pool.version + 1,
          cursor: null,
          cursor_epoch: pool.cursorEpoch + 1,
          updated_at: new Date().toISOString(),
        });
      if (bumped === 0) return false;
      await check(trx);
      await trx('ipam_ranges').where({ pool_id: pool.id }).delete();
      await insertRanges(trx, pool.id, family, spec.ranges);
      return true;
    });
  }

  /** False when the pool still has claims: the foreign key refuses, whatever raced. */
  async deletePool(id: number): Promise<boolean> {
    try {
      await this.knex.transaction(async (trx) => {
        await trx('ipam_ranges').where({ pool_id: id }).delete();
        await trx('ipam_pools').where({ id }).delete();
      });
      return true;
    } catch (err) {
      if (isForeignKeyViolation(err)) return false;
      throw err;
    }
  }

  countClaims(poolId: number, trx: Knex = this.knex): Promise<number> {
    return count(trx('ipam_claims').where({ pool_id: poolId }));
  }

  countAddresses(poolId: number): Promise<number> {
    return count(this.knex('ipam_addresses').where({ pool_id: poolId }));
  }

  /** The first held address in [lo, hi] (hex), or null: an index probe, used to check edits. */
  async firstHeldBetween(poolId: number, lo: string, hi: string, trx: Knex = this.knex): Promise<string | null> {
    const row = RowReader.first(
      await trx('ipam_addresses')
        .where({ pool_id: poolId })
        .whereBetween('address', [lo, hi])
        .orderBy('address')
        .first('address'),
      'ipam_addresses',
    );
    return row ? row.text('address') : null;
  }

  /** The claim holding an address, by name, or null. */
  async holderOf(poolId: number, addressHex: string, trx: Knex = this.knex): Promise<string | null> {
    const row = RowReader.first(
      await trx('ipam_addresses')
        .join('ipam_claims', 'ipam_claims.id', 'ipam_addresses.claim_id')
        .where({ 'ipam_addresses.pool_id': poolId, 'ipam_addresses.address': addressHex })
        .first('ipam_claims.name'),
      'ipam_claims',
    );
    return row ? row.text('name') : null;
  }

  /**
   * The lowest address in [from, to] that no row holds: `from` itself, or
   * else the first `next` (held + 1) that is not held, walking the
   * (pool_id, next) index in order and stopping at the first gap.
   */
  async firstFree(poolId: number, family: IpFamily, from: bigint, to: bigint): Promise<bigint | null> {
    const lo = toHex(family, from);
    const hi = toHex(family, to);
    const taken: unknown = await this.knex('ipam_addresses').where({ pool_id: poolId, address: lo }).first('id');
    if (taken === undefined) return from;
    const result: unknown = await this.knex.raw(
      `select a."next" from ipam_addresses a
        where a.pool_id = ? and a."next" >= ? and a."next" <= ?
          and not exists (select 1 from ipam_addresses b where b.pool_id = a.pool_id and b.address = a."next")
        order by a."next" limit 1`,
      [poolId, lo, hi],
    );
    const [first] = rawRows(result, 'ipam_addresses');
    return first ? fromHex(first.text('next')) : null;
  }

  /**
   * Writes a claim and its address in one transaction, so a claim never
   * exists without its address nor an address without its claim. The
   * database arbitrates: a unique violation means another claim won the name
   * or the address; a changed version means the pool was edited meanwhile.
   */
  async insertClaim(
    pool: PoolRecord,
    claim: { name: string; owner: string | null; requested_address: string | null },
    address: bigint,
    family: IpFamily,
  ): Promise<InsertOutcome> {
    const now = new Date().toISOString();
    const hex = toHex(family, address);
    const next = address === maxAddress(family) ? null : toHex(family, address + 1n);
    const uuid = randomUUID();
    const addressUuid = randomUUID();
    try {
      const id = await this.knex.transaction(async (trx) => {
        // The first statement writes, so SQLite takes its write lock (waiting on busy_timeout) up front.
        const inserted: unknown = await trx('ipam_claims')
          .insert({ uuid, pool_id: pool.id, ...claim, created_at: now })
          .returning('id')
          .catch((err: unknown) => {
            throw isUniqueViolation(err) ? new ClaimRefused('name-taken') : err;
          });
        const claimId = insertedId(inserted, 'ipam_claims');
        const current = RowReader.first(
          await trx('ipam_pools').where({ id: pool.id }).forKeyShare().first('version'),
          'ipam_pools',
        );
        if (current?.integer('version') !== pool.version) throw new ClaimRefused('pool-changed');
        await trx('ipam_addresses')
          .insert({ uuid: addressUuid, pool_id: pool.id, claim_id: claimId, address: hex, next, created_at: now })
          .catch((err: unknown) => {
            throw isUniqueViolation(err) ? new ClaimRefused('address-taken') : err;
          });
        await this.onClaimChange?.(trx, 'created', {
          uuid,
          pool: pool.name,
          ...claim,
          address: formatAddress(family, address),
          created_at: now,
        });
        return claimId;
      });
      return {
        id,
        uuid,
        pool: pool.name,
        poolId: pool.id,
        ...claim,
        address: hex,
        address_uuid: addressUuid,
        created_at: now,
      };
    } catch (err) {
      if (err instanceof ClaimRefused) return err.outcome;
      if (isForeignKeyViolation(err)) return 'pool-changed';
      throw err;
    }
  }

  async findClaim(poolId: number, name: string, trx: Knex = this.knex): Promise<ClaimRecord | null> {
    const row = RowReader.first(
      await this.claims(trx).where({ 'ipam_claims.pool_id': poolId, 'ipam_claims.name': name }).first(),
      'ipam_claims',
    );
    return row ? claimFromRow(row) : null;
  }

  async listClaims(poolId: number, page: ListPage<'id' | 'name'>): Promise<ClaimRecord[]> {
    const query = this.claims().where('ipam_claims.pool_id', poolId);
    return (await this.page(query, 'ipam_claims', page)).map(claimFromRow);
  }

  /** Addresses with their claims, filtered; marker and sort keys are the address's. */
  async listAddresses(filter: AddressFilter, page: ListPage<'id' | 'address'>): Promise<ClaimRecord[]> {
    const query = this.claims();
    if (filter.pool !== undefined) query.where('ipam_claims.pool_id', filter.pool);
    if (filter.claim !== undefined) query.where('ipam_claims.name', filter.claim);
    if (filter.owner !== undefined) query.where('ipam_claims.owner', filter.owner);
    if (filter.addressHex !== undefined) query.where('ipam_addresses.address', filter.addressHex);
    return (await this.page(query, 'ipam_addresses', page)).map(claimFromRow);
  }

  /** The owner of the claim holding `addressHex`, in whichever pool (the first such claim); null when none holds it. */
  async ownerOfAddress(addressHex: string): Promise<string | null> {
    const row: unknown = await this.knex('ipam_addresses')
      .join('ipam_claims', 'ipam_claims.id', 'ipam_addresses.claim_id')
      .where('ipam_addresses.address', addressHex)
      .orderBy('ipam_addresses.id')
      .first('ipam_claims.owner');
    return RowReader.first(row, 'ipam_claims')?.nullableText('owner') ?? null;
  }

  async claimsOwnedBy(owner: string): Promise<ClaimRecord[]> {
    const rows = await this.claims().where('ipam_claims.owner', owner).orderBy('ipam_claims.id');
    return RowReader.all(rows, 'ipam_claims').map(claimFromRow);
  }

  /** Deletes a claim and its address, in one transaction. False if it was already gone. */
  async deleteClaim(claimId: number): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      // Deletes first, answering what they removed: the transaction writes before it reads (SQLite's write lock).
      const [address] = rawRows(
        await trx.raw('delete from ipam_addresses where claim_id = ? returning address', [claimId]),
        'ipam_addresses',
      );
      const [claim] = rawRows(
        await trx.raw(
          'delete from ipam_claims where id = ? returning uuid, pool_id, name, owner, requested_address, created_at',
          [claimId],
        ),
        'ipam_claims',
      );
      if (!claim) return false;
      if (this.onClaimChange === null) return true;
      // The pool's foreign key keeps it while it has claims; every claim was written with its address.
      const pool = RowReader.first(
        await trx('ipam_pools')
          .where({ id: claim.integer('pool_id') })
          .first('name', 'family'),
        'ipam_pools',
      )!;
      await this.onClaimChange(trx, 'deleted', {
        uuid: claim.text('uuid'),
        pool: pool.text('name'),
        name: claim.text('name'),
        owner: claim.nullableText('owner'),
        address: formatAddress(pool.oneOf('family', FAMILIES), fromHex(address!.text('address'))),
        requested_address: claim.nullableText('requested_address'),
        created_at: claim.text('created_at'),
      });
      return true;
    });
  }

  /** Moves the cursor forward unless a release (epoch) or an edit happened since it was read. */
  async advanceCursor(poolId: number, epoch: number, to: string): Promise<void> {
    await this.knex('ipam_pools')
      .where({ id: poolId, cursor_epoch: epoch })
      .andWhere((w) => {
        w.whereNull('cursor').orWhere('cursor', '<', to);
      })
      .update({ cursor: to });
  }

  /** A released address lowers the cursor to it; the epoch bump voids advances computed before. */
  async lowerCursor(poolId: number, to: string): Promise<void> {
    await this.knex('ipam_pools')
      .where({ id: poolId })
      .update({
        cursor_epoch: this.knex.raw('cursor_epoch + 1'),
        cursor: this.knex.raw('case when "cursor" > ? then ? else "cursor" end', [to, to]),
      });
  }

  private claims(trx: Knex = this.knex) {
    return trx('ipam_claims')
      .join('ipam_addresses', 'ipam_addresses.claim_id', 'ipam_claims.id')
      .join('ipam_pools', 'ipam_pools.id', 'ipam_claims.pool_id')
      .select(
        'ipam_claims.*',
        'ipam_addresses.address',
        'ipam_addresses.uuid as address_uuid',
        'ipam_pools.name as pool',
      );
  }

  /**
   * One page of `query` (rows of `table`, perhaps joined with others): by the
   * sort key then id, after the row whose uuid is the marker.
   */
  private async page(query: Knex.QueryBuilder, table: string, page: ListPage<string>): Promise<RowReader[]> {
    const col = `${table}.${page.sortKey}`;
    const id = `${table}.id`;
    if (page.marker !== undefined) {
      const marker = RowReader.first(await this.knex(table).where({ uuid: page.marker }).first(), table);
      if (!marker) throw new MarkerNotFound(page.marker);
      const value = marker.sortValue(page.sortKey);
      const markerId = marker.integer('id');
      const cmp = page.sortDir === 'asc' ? '>' : '<';
      query.where((w) => {
        w.where(col, cmp, value).orWhere((x) => {
          x.where(col, value).andWhere(id, cmp, markerId);
        });
      });
    }
    return RowReader.all(await query.orderBy(col, page.sortDir).orderBy(id, page.sortDir).limit(page.limit), table);
  }

  private async withRanges(row: RowReader): Promise<PoolRecord> {
    const id = row.integer('id');
    const family = row.oneOf('family', FAMILIES);
    const ranges = RowReader.all(
      await this.knex('ipam_ranges').where({ pool_id: id }).orderBy('position'),
      'ipam_ranges',
    );
    return {
      id,
      uuid: row.text('uuid'),
      name: row.text('name'),
      family,
      version: row.integer('version'),
      cursor: row.nullableText('cursor'),
      cursorEpoch: row.integer('cursor_epoch'),
      created_at: row.text('created_at'),
      updated_at: row.nullableText('updated_at'),
      spec: {
        allocation_strategy: row.oneOf('allocation_strategy', ALLOCATION_STRATEGIES),
        prefix: row.nullableInteger('prefix'),
        gateway: row.nullableText('gateway'),
        dns_servers: row.json('dns_servers', isStringList),
        excluded: row.json('excluded', isStringList),
        pre_allocations: row.json('pre_allocations', isStringRecord),
        ranges: ranges.map((r) => ({
          start: formatAddress(family, fromHex(r.text('start_address'))),
          end: formatAddress(family, fromHex(r.text('end_address'))),
          subnet: r.nullableText('subnet'),
          prefix: r.nullableInteger('prefix'),
          gateway: r.nullableText('gateway'),
          dns_servers: r.nullableJson('dns_servers', isStringList),
        })),
      },
    };
  }
}

function poolColumns(spec: CanonicalPoolSpec): Record<string, unknown> {
  return {
    allocation_strategy: spec.allocation_strategy,
    prefix: spec.prefix,
    gateway: spec.gateway,
    dns_servers: JSON.stringify(spec.dns_servers),
    excluded: JSON.stringify(spec.excluded),
    pre_allocations: JSON.stringify(spec.pre_allocations),
  };
}

async function insertRanges(trx: Knex, poolId: number, family: IpFamily, ranges: CanonicalRangeSpec[]): Promise<void> {
  await trx('ipam_ranges').insert(
    ranges.map((r, position) => ({
      pool_id: poolId,
      position,
      start_address: toHex(family, parseAddress(r.start).value),
      end_address: toHex(family, parseAddress(r.end).value),
      subnet: r.subnet,
      prefix: r.prefix,
      gateway: r.gateway,
      dns_servers: r.dns_servers === null ? null : JSON.stringify(r.dns_servers),
    })),
  );
}

function claimFromRow(row: RowReader): ClaimRecord {
  return {
    id: row.integer('id'),
    uuid: row.text('uuid'),
    pool: row.text('pool'),
    poolId: row.integer('pool_id'),
    name: row.text('name'),
    owner: row.nullableText('owner'),
    requested_address: row.nullableText('requested_address'),
    address: row.text('address'),
    address_uuid: row.text('address_uuid'),
    created_at: row.text('created_at'),
  };
}

async function count(query: Knex.QueryBuilder): Promise<number> {
  const row = RowReader.first(await query.count({ n: '*' }).first(), 'count(*)');
  return row ? row.count('n') : 0;
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
