import type { Knex } from 'knex';

export const name = '018_bios_settings';

/**
 * Each node's BIOS settings as Anvil last read them from its BMC, Ironic's
 * `bios_settings` table: the value and what the BMC's attribute registry
 * says of it. One row per setting of a node (the primary key, as Ironic's);
 * a node's rows go with it. Bounds are 64-bit, as Redfish's LowerBound and
 * UpperBound are.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('bios_settings', (t) => {
    t.integer('node_id')
      .notNullable()
      .references('id')
      .inTable('nodes')
      .onDelete('CASCADE')
      .withKeyName('bios_settings_node_id_foreign');
    t.string('name', 255).notNullable();
    t.text('value').nullable();
    t.string('attribute_type', 255).nullable();
    // A JSON list of strings.
    t.text('allowable_values').nullable();
    t.bigInteger('lower_bound').nullable();
    t.integer('max_length').nullable();
    t.integer('min_length').nullable();
    t.boolean('read_only').nullable();
    t.boolean('reset_required').nullable();
    t.boolean('unique').nullable();
    t.bigInteger('upper_bound').nullable();
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
    t.primary(['node_id', 'name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('bios_settings');
}
