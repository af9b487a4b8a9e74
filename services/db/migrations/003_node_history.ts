import type { Knex } from 'knex';

export const name = '003_node_history';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('node_history', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.integer('node_id').notNullable().references('id').inTable('nodes').onDelete('CASCADE');
    t.string('created_at', 40).notNullable();
    t.string('severity', 16).notNullable();
    t.string('event_type', 32).notNullable();
    t.text('event').notNullable();
    t.string('conductor', 255).nullable();
    t.string('user', 255).nullable();
    t.index(['node_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('node_history');
}
