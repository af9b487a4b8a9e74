import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { formatAddress, fromHex, maxAddress, parseAddress, toHex, type IpFamily } from './address.js';
import { MarkerNotFound } from './errors.js';
import { isPostgres } from './schema.js';
import type { CanonicalPoolSpec, CanonicalRangeSpec } from './pool.js';

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

/** The stored claim, or why it could not be stored. */
export type InsertOutcome = ClaimRecord | 'name-taken' | 'address-taken' | 'pool-changed';

type Row = Record<string, any>;

/** IPAM's tables over the knex connection it is given. Thin: it decides nothing. */
export class IpamRepository {
  private readonly postgres: boolean;

  constructor(private readonly knex: Knex) {
    this.postgres = isPostgres(knex);
  }

  async insertPool(name: string, family: IpFamily, spec: CanonicalPoolSpec): Promise<'inserted' | 'name-taken'> {
    const now = new Date().toISOString();
    try {
      await this.knex.transaction(async (trx) => {
        const [row] = await trx('ipam_pools')
          .insert({ uuid: randomUUID(), name, family, ...poolColumns(spec), created_at: now })
          .returning('id');
        await insertRanges(trx, (row as { id: number }).id, family, spec.ranges);
      });
      return 'inserted';
    } catch (err) {
      if (isUniqueViolation(err)) return 'name-taken';
      throw err;
    }
  }

  async findPool(ident: string): Promise<PoolRecord | null> {
    const row = await this.knex('ipam_pools').where({ name: ident }).orWhere({ uuid: ident }).first();
    return row ? this.withRanges(row) : null;
  }

  async listPools(page: ListPage<'id' | 'name'>): Promise<PoolRecord[]> {
    const rows: Row[] = await keyset(
      this.knex('ipam_pools'),
      'ipam_pools',
      page,
      await this.markerRow('ipam_pools', page),
    );
    return Promise.all(rows.map((r) => this.withRanges(r)));
  }

  async listAllPools(): Promise<PoolRecord[]> {
    const rows: Row[] = await this.knex('ipam_pools').orderBy('id');
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
    const row = await trx('ipam_addresses')
      .where({ pool_id: poolId })
      .whereBetween('address', [lo, hi])
      .orderBy('address')
      .first('address');
    return row ? (row.address as string) : null;
  }

  /** The claim holding an address, by name, or null. */
  async holderOf(poolId: number, addressHex: string, trx: Knex = this.knex): Promise<string | null> {
    const row = await trx('ipam_addresses')
      .join('ipam_claims', 'ipam_claims.id', 'ipam_addresses.claim_id')
      .where({ 'ipam_addresses.pool_id': poolId, 'ipam_addresses.address': addressHex })
      .first('ipam_claims.name');
    return row ? (row.name as string) : null;
  }

  /**
   * The lowest address in [from, to] that no row holds: `from` itself, or
   * else the first `next` (held + 1) that is not held, walking the
   * (pool_id, next) index in order and stopping at the first gap.
   */
  async firstFree(poolId: number, family: IpFamily, from: bigint, to: bigint): Promise<bigint | null> {
    const lo = toHex(family, from);
    const hi = toHex(family, to);
    const taken = await this.knex('ipam_addresses').where({ pool_id: poolId, address: lo }).first('id');
    if (!taken) return from;
    const result: unknown = await this.knex.raw(
      `select a."next" from ipam_addresses a
        where a.pool_id = ? and a."next" >= ? and a."next" <= ?
          and not exists (select 1 from ipam_addresses b where b.pool_id = a.pool_id and b.address = a."next")
        order by a."next" limit 1`,
      [poolId, lo, hi],
    );
    // knex.raw answers pg's result object on PostgreSQL and the rows themselves on SQLite.
    const rows = (this.postgres ? (result as { rows: Row[] }).rows : result) as Row[];
    return rows.length === 0 ? null : fromHex(rows[0]!.next as string);
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
    let failed: InsertOutcome | null = null;
    try {
      const id = await this.knex.transaction(async (trx) => {
        // The first statement writes, so SQLite takes its write lock (waiting on busy_timeout) up front.
        const [row] = await trx('ipam_claims')
          .insert({ uuid, pool_id: pool.id, ...claim, created_at: now })
          .returning('id')
          .catch((err: unknown) => {
            if (isUniqueViolation(err)) failed = 'name-taken';
            throw err;
          });
        const claimId = (row as { id: number }).id;
        const current = await trx('ipam_pools').where({ id: pool.id }).forKeyShare().first('version');
        if (!current || current.version !== pool.version) {
          failed = 'pool-changed';
          throw new Error('pool changed');
        }
        await trx('ipam_addresses')
          .insert({ uuid: addressUuid, pool_id: pool.id, claim_id: claimId, address: hex, next, created_at: now })
          .catch((err: unknown) => {
            if (isUniqueViolation(err)) failed = 'address-taken';
            throw err;
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
      if (failed !== null) return failed;
      if (isForeignKeyViolation(err)) return 'pool-changed';
      throw err;
    }
  }

  async findClaim(poolId: number, name: string, trx: Knex = this.knex): Promise<ClaimRecord | null> {
    const row = await this.claims(trx).where({ 'ipam_claims.pool_id': poolId, 'ipam_claims.name': name }).first();
    return row ? claimFromRow(row) : null;
  }

  async listClaims(poolId: number, page: ListPage<'id' | 'name'>): Promise<ClaimRecord[]> {
    const query = this.claims().where('ipam_claims.pool_id', poolId);
    const rows: Row[] = await keyset(query, 'ipam_claims', page, await this.markerRow('ipam_claims', page));
    return rows.map(claimFromRow);
  }

  /** Addresses with their claims, filtered; marker and sort keys are the address's. */
  async listAddresses(filter: AddressFilter, page: ListPage<'id' | 'address'>): Promise<ClaimRecord[]> {
    const query = this.claims();
    if (filter.pool !== undefined) query.where('ipam_claims.pool_id', filter.pool);
    if (filter.claim !== undefined) query.where('ipam_claims.name', filter.claim);
    if (filter.owner !== undefined) query.where('ipam_claims.owner', filter.owner);
    if (filter.addressHex !== undefined) query.where('ipam_addresses.address', filter.addressHex);
    const rows: Row[] = await keyset(query, 'ipam_addresses', page, await this.markerRow('ipam_addresses', page));
    return rows.map(claimFromRow);
  }

  async claimsOwnedBy(owner: string): Promise<ClaimRecord[]> {
    return (await this.claims().where('ipam_claims.owner', owner).orderBy('ipam_claims.id')).map(claimFromRow);
  }

  /** Deletes a claim; its address goes with it (the foreign key cascades). False if it was already gone. */
  async deleteClaim(claimId: number): Promise<boolean> {
    return (await this.knex('ipam_claims').where({ id: claimId }).delete()) > 0;
  }

  /** Moves the cursor forward unless a release (epoch) or an edit happened since it was read. */
  async advanceCursor(poolId: number, epoch: number, to: string): Promise<void> {
    await this.knex('ipam_pools')
      .where({ id: poolId, cursor_epoch: epoch })
      .andWhere((w) => w.whereNull('cursor').orWhere('cursor', '<', to))
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

  private async markerRow(table: string, page: ListPage<string>): Promise<Row | null | undefined> {
    if (page.marker === undefined) return undefined;
    return (await this.knex(table).where({ uuid: page.marker }).first()) ?? null;
  }

  private async withRanges(row: Row): Promise<PoolRecord> {
    const ranges: Row[] = await this.knex('ipam_ranges').where({ pool_id: row.id }).orderBy('position');
    return {
      id: row.id,
      uuid: row.uuid,
      name: row.name,
      family: row.family,
      version: row.version,
      cursor: row.cursor ?? null,
      cursorEpoch: row.cursor_epoch,
      created_at: row.created_at,
      updated_at: row.updated_at ?? null,
      spec: {
        allocation_strategy: row.allocation_strategy,
        prefix: row.prefix ?? null,
        gateway: row.gateway ?? null,
        dns_servers: JSON.parse(row.dns_servers),
        excluded: JSON.parse(row.excluded),
        pre_allocations: JSON.parse(row.pre_allocations),
        ranges: ranges.map((r) => ({
          start: formatAddress(row.family, fromHex(r.start_address)),
          end: formatAddress(row.family, fromHex(r.end_address)),
          subnet: r.subnet ?? null,
          prefix: r.prefix ?? null,
          gateway: r.gateway ?? null,
          dns_servers: r.dns_servers == null ? null : JSON.parse(r.dns_servers),
        })),
      },
    };
  }
}

function poolColumns(spec: CanonicalPoolSpec): Row {
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

function keyset<T extends {}>(
  query: Knex.QueryBuilder<T>,
  table: string,
  page: ListPage<string>,
  marker: Row | null | undefined,
) {
  if (marker === null) throw new MarkerNotFound(page.marker ?? '');
  const col = `${table}.${page.sortKey}`;
  const id = `${table}.id`;
  if (marker) {
    const cmp = page.sortDir === 'asc' ? '>' : '<';
    query.where((w) =>
      w
        .where(col, cmp, marker[page.sortKey])
        .orWhere((x) => x.where(col, marker[page.sortKey]).andWhere(id, cmp, marker.id)),
    );
  }
  return query.orderBy(col, page.sortDir).orderBy(id, page.sortDir).limit(page.limit);
}

function claimFromRow(row: Row): ClaimRecord {
  return {
    id: row.id,
    uuid: row.uuid,
    pool: row.pool,
    poolId: row.pool_id,
    name: row.name,
    owner: row.owner ?? null,
    requested_address: row.requested_address ?? null,
    address: row.address,
    address_uuid: row.address_uuid,
    created_at: row.created_at,
  };
}

async function count(query: Knex.QueryBuilder): Promise<number> {
  const row = await query.count({ n: '*' }).first();
  return Number((row as { n: number | string } | undefined)?.n ?? 0);
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
