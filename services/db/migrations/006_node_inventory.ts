import type { Knex } from 'knex';

export const name = '006_node_inventory';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('node_inventory', (t) => {
    t.integer('node_id').primary().references('id').inTable('nodes').onDelete('CASCADE');
    t.text('inventory').notNullable();
    t.text('plugin_data').notNullable();
    t.string('created_at', 40).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('node_inventory');
}
