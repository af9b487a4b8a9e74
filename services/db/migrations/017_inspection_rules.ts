import type { Knex } from 'knex';

export const name = '017_inspection_rules';

/**
 * Ironic's inspection rules (API 1.96): what to do with a node when its
 * inspection data meets conditions. Conditions and actions are JSON lists
 * kept whole, as Ironic keeps them; rules are read by phase when applied.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('inspection_rules', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.string('description', 255).nullable();
    t.integer('priority').notNullable().defaultTo(0);
    t.string('phase', 16).notNullable().defaultTo('main').index();
    t.boolean('sensitive').notNullable().defaultTo(false);
    t.text('conditions').notNullable();
    t.text('actions').notNullable();
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('inspection_rules');
}
