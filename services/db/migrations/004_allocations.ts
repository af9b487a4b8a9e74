import type { Knex } from 'knex';

export const name = '004_allocations';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('allocations', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.string('name', 255).nullable().unique();
    // Unique: two allocations can never hold one node, whatever races.
    t.integer('node_id').nullable().unique().references('id').inTable('nodes').onDelete('CASCADE');
    t.string('state', 16).notNullable();
    t.text('last_error').nullable();
    t.string('resource_class', 80).nullable();
    t.text('traits').notNullable();
    t.text('candidate_nodes').notNullable();
    t.text('extra').notNullable();
    t.string('owner', 255).nullable();
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
    t.index(['state']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('allocations');
}
