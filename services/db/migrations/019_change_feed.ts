import type { Knex } from 'knex';

export const name = '019_change_feed';

/**
 * The change feed (services/feed): one row per change to a node, an
 * allocation or an IPAM claim, written in the transaction of the change
 * itself. `id` is the cursor consumers resume from (64-bit: a busy fleet
 * writes many). `changes_pruned.through` remembers the highest id retention
 * has removed, so a cursor at or below it is known to have missed records
 * (410 Gone) rather than read as "nothing since": ids are not dense, as a
 * rolled-back transaction leaves a hole in the sequence.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('changes', (t) => {
    t.bigIncrements('id').primary();
    t.string('kind', 32).notNullable();
    t.string('action', 16).notNullable();
    t.string('object_uuid', 36).notNullable();
    t.text('data').notNullable();
    t.string('created_at', 40).notNullable();
    // The last record of an object, read by the recorder to leave out an update that changed nothing.
    t.index(['kind', 'object_uuid', 'id']);
    // Retention by age.
    t.index(['created_at']);
  });
  await knex.schema.createTable('changes_pruned', (t) => {
    t.bigInteger('through').notNullable();
  });
  await knex('changes_pruned').insert({ through: 0 });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('changes_pruned');
  await knex.schema.dropTable('changes');
}
