import type { Knex } from 'knex';

export const name = '005_conductors';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('conductors', (t) => {
    t.increments('id').primary();
    t.string('hostname', 255).notNullable().unique();
    t.string('conductor_group', 255).notNullable().defaultTo('');
    t.boolean('online').notNullable().defaultTo(true);
    t.string('heartbeat_at', 40).notNullable();
    t.string('created_at', 40).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('conductors');
}
