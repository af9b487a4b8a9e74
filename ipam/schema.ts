import type { Knex } from 'knex';

export const IPAM_TABLES = ['ipam_addresses', 'ipam_claims', 'ipam_ranges', 'ipam_pools'] as const;

export function isPostgres(knex: Knex): boolean {
  // knex types its client as any: read the dialect as the unknown it is.
  const client: unknown = knex.client;
  return typeof client === 'object' && client !== null && 'dialect' in client && client.dialect === 'postgresql';
}

/**
 * IPAM's tables. Addresses are fixed-width lowercase hex so text order is
 * numeric order; on PostgreSQL those columns use the "C" collation so no
 * locale can reorder them and range scans stay plain byte comparisons.
 * Uniqueness that matters is a constraint: (pool, address) and (pool, claim name).
 */
export async function createIpamTables(knex: Knex): Promise<void> {
  const pg = isPostgres(knex);
  const hex = (t: Knex.CreateTableBuilder, name: string) =>
    pg ? t.specificType(name, 'varchar(36) collate "C"') : t.string(name, 36);

  await knex.schema.createTable('ipam_pools', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.string('name', 255).notNullable().unique();
    t.string('family', 8).notNullable();
    t.string('allocation_strategy', 16).notNullable();
    t.integer('prefix').nullable();
    t.string('gateway', 64).nullable();
    t.text('dns_servers').notNullable();
    t.text('excluded').notNullable();
    t.text('pre_allocations').notNullable();
    // Bumped by every edit; a claim made against an older definition retries.
    t.integer('version').notNullable().defaultTo(1);
    // Sequential pools: a position (range index + address) below which everything is taken.
    hex(t, 'cursor').nullable();
    // Bumped by every release, so a cursor advance computed before it fails its compare-and-set.
    t.integer('cursor_epoch').notNullable().defaultTo(0);
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
  });

  await knex.schema.createTable('ipam_ranges', (t) => {
    t.increments('id').primary();
    t.integer('pool_id').notNullable().references('id').inTable('ipam_pools').onDelete('CASCADE');
    t.integer('position').notNullable();
    hex(t, 'start_address').notNullable();
    hex(t, 'end_address').notNullable();
    t.string('subnet', 64).nullable();
    t.integer('prefix').nullable();
    t.string('gateway', 64).nullable();
    t.text('dns_servers').nullable();
    t.unique(['pool_id', 'position']);
  });

  await knex.schema.createTable('ipam_claims', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    // No cascade: deleting a pool that still has claims fails in the database itself.
    t.integer('pool_id').notNullable().references('id').inTable('ipam_pools');
    t.string('name', 255).notNullable();
    t.string('owner', 255).nullable();
    t.string('requested_address', 64).nullable();
    t.string('created_at', 40).notNullable();
    t.unique(['pool_id', 'name']);
    t.index(['owner']);
  });

  await knex.schema.createTable('ipam_addresses', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.integer('pool_id').notNullable().references('id').inTable('ipam_pools');
    t.integer('claim_id').notNullable().unique().references('id').inTable('ipam_claims').onDelete('CASCADE');
    hex(t, 'address').notNullable();
    // address + 1 (null for the family's last address): the free-address query walks this index.
    hex(t, 'next').nullable();
    t.string('created_at', 40).notNullable();
    t.unique(['pool_id', 'address']);
    t.index(['pool_id', 'next']);
  });
}

/**
 * Addresses by value alone, whatever their pool: the boot services find the
 * host behind a request's source address (a TFTP or HTTP download), which
 * without this index read every address of every pool.
 */
export async function indexAddressesByValue(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ipam_addresses', (t) => t.index(['address'], ADDRESS_INDEX));
}

export async function dropAddressValueIndex(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ipam_addresses', (t) => t.dropIndex(['address'], ADDRESS_INDEX));
}

const ADDRESS_INDEX = 'ipam_addresses_address_index';

export async function dropIpamTables(knex: Knex): Promise<void> {
  for (const table of IPAM_TABLES) await knex.schema.dropTableIfExists(table);
}
