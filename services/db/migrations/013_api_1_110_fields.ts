import type { Knex } from 'knex';

export const name = '013_api_1_110_fields';

/**
 * The attributes Ironic's API gained up to 1.110 (sizes from its schemas): a
 * port's description (1.97), vendor (1.100) and category (1.101), a port
 * group's physical_network (1.102) and category (1.103), and the name of the
 * instance on a node (1.104).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ports', (t) => {
    t.string('description', 255).nullable();
    t.string('vendor', 32).nullable();
    t.string('category', 80).nullable();
  });
  await knex.schema.alterTable('portgroups', (t) => {
    t.string('physical_network', 64).nullable();
    t.string('category', 80).nullable();
  });
  await knex.schema.alterTable('nodes', (t) => {
    t.string('instance_name', 255).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('nodes', (t) => {
    t.dropColumn('instance_name');
  });
  await knex.schema.alterTable('portgroups', (t) => {
    t.dropColumn('category');
    t.dropColumn('physical_network');
  });
  await knex.schema.alterTable('ports', (t) => {
    t.dropColumn('category');
    t.dropColumn('vendor');
    t.dropColumn('description');
  });
}
