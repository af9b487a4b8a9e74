import type { Knex } from 'knex';

export const name = '024_change_view_keys';

/**
 * Each change's view key (feed/view-key.ts), so that the statement that
 * records an update also decides, in the database, whether it shows anything
 * new: one statement per recorded change instead of a read of the object's
 * last change and then an insert. Changes recorded before have none, and
 * the next update of their object is recorded whatever it shows.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('changes', (t) => {
    t.string('view_key', 64).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('changes', (t) => {
    t.dropColumn('view_key');
  });
}
