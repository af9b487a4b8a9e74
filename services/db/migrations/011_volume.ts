import type { Knex } from 'knex';

export const name = '011_volume';

/**
 * Volume connectors and targets (boot from volume), as Ironic keeps them. The
 * uniqueness Ironic enforces is a constraint here too: a connector's
 * (type, connector_id) across all nodes, a target's boot index within its node.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('volume_connectors', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.integer('node_id').notNullable().references('id').inTable('nodes').onDelete('CASCADE');
    t.string('type', 32).notNullable();
    t.string('connector_id', 255).notNullable();
    t.text('extra').notNullable();
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
    t.unique(['type', 'connector_id']);
    t.index(['node_id']);
  });

  await knex.schema.createTable('volume_targets', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.integer('node_id').notNullable().references('id').inTable('nodes').onDelete('CASCADE');
    t.string('volume_type', 64).notNullable();
    t.text('properties').notNullable();
    t.integer('boot_index').notNullable();
    t.string('volume_id', 36).notNullable();
    t.text('extra').notNullable();
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
    // Leads with node_id, so it also serves a node's listing.
    t.unique(['node_id', 'boot_index']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('volume_targets');
  await knex.schema.dropTable('volume_connectors');
}
