import type { Knex } from 'knex';

export const name = '009_portgroups';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('portgroups', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.string('name', 255).nullable().unique();
    // A node's port groups go with it, as its ports do.
    t.integer('node_id').notNullable().references('id').inTable('nodes').onDelete('CASCADE');
    // Optional, but never shared: NULLs do not collide on either engine.
    t.string('address', 17).nullable().unique();
    t.text('extra').notNullable();
    t.text('internal_info').notNullable();
    t.text('properties').notNullable();
    t.boolean('standalone_ports_supported').notNullable().defaultTo(true);
    t.string('mode', 255).notNullable();
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
    t.index(['node_id']);
  });
  // No ON DELETE action: a port group with ports cannot be deleted, whoever races to add one.
  // A node's deletion removes both its ports and its groups in one statement, which the check allows.
  await knex.schema.alterTable('ports', (t) => {
    t.integer('portgroup_id').nullable().references('id').inTable('portgroups');
    t.index(['portgroup_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ports', (t) => {
    t.dropIndex(['portgroup_id']);
    t.dropForeign(['portgroup_id']);
    t.dropColumn('portgroup_id');
  });
  await knex.schema.dropTable('portgroups');
}
