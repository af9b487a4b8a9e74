import type { Knex } from 'knex';

export const name = '015_firmware_components';

/**
 * The firmware components of each node with their history, as Ironic's
 * `firmware_information` table keeps them: the version first seen, the one
 * running now, and the last one flashed. One row per component of a node
 * (the database, not a check in code, keeps two readers racing from
 * recording it twice); a node's rows go with it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('firmware_components', (t) => {
    t.increments('id').primary();
    t.integer('node_id')
      .notNullable()
      .references('id')
      .inTable('nodes')
      .onDelete('CASCADE')
      .withKeyName('firmware_components_node_id_foreign');
    t.string('component', 255).notNullable();
    t.string('initial_version', 255).notNullable();
    t.string('current_version', 255).notNullable();
    t.string('last_version_flashed', 255).nullable();
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
    t.unique(['node_id', 'component']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('firmware_components');
}
