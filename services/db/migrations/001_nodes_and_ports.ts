import type { Knex } from 'knex';

export const name = '001_nodes_and_ports';

// JSON documents are text columns (portable across SQLite and PostgreSQL);
// timestamps are ISO 8601 strings in UTC, which sort as they should.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('nodes', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.string('name', 255).nullable().unique();
    t.string('driver', 255).notNullable();
    for (const col of [
      'driver_info',
      'driver_internal_info',
      'instance_info',
      'properties',
      'extra',
      'network_data',
      'raid_config',
      'target_raid_config',
      'clean_step',
      'deploy_step',
      'service_step',
      'traits',
    ]) {
      t.text(col).notNullable();
    }
    t.string('provision_state', 32).notNullable();
    t.string('target_provision_state', 32).nullable();
    t.string('power_state', 32).nullable();
    t.string('target_power_state', 32).nullable();
    t.boolean('maintenance').notNullable().defaultTo(false);
    t.text('maintenance_reason').nullable();
    t.string('fault', 255).nullable();
    t.text('last_error').nullable();
    t.string('reservation', 255).nullable();
    t.string('conductor_group', 255).notNullable().defaultTo('');
    t.string('instance_uuid', 36).nullable().unique();
    t.string('allocation_uuid', 36).nullable();
    t.string('resource_class', 80).nullable();
    for (const iface of [
      'bios_interface',
      'boot_interface',
      'console_interface',
      'deploy_interface',
      'firmware_interface',
      'inspect_interface',
      'management_interface',
      'network_interface',
      'power_interface',
      'raid_interface',
      'rescue_interface',
      'storage_interface',
      'vendor_interface',
    ]) {
      t.string(iface, 255).notNullable();
    }
    t.boolean('automated_clean').nullable();
    t.boolean('protected').notNullable().defaultTo(false);
    t.text('protected_reason').nullable();
    t.boolean('retired').notNullable().defaultTo(false);
    t.text('retired_reason').nullable();
    t.string('owner', 255).nullable();
    t.string('lessee', 255).nullable();
    t.text('description').nullable();
    t.string('shard', 255).nullable();
    t.string('parent_node', 36).nullable();
    t.boolean('disable_power_off').notNullable().defaultTo(false);
    t.boolean('console_enabled').notNullable().defaultTo(false);
    t.string('boot_mode', 16).nullable();
    t.boolean('secure_boot').nullable();
    t.string('chassis_uuid', 36).nullable();
    t.string('inspection_started_at', 40).nullable();
    t.string('inspection_finished_at', 40).nullable();
    t.string('provision_updated_at', 40).nullable();
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
    t.index(['provision_state']);
    t.index(['driver']);
    t.index(['reservation']);
  });

  await knex.schema.createTable('ports', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.string('address', 17).notNullable().unique();
    t.integer('node_id').notNullable().references('id').inTable('nodes').onDelete('CASCADE');
    t.string('name', 255).nullable().unique();
    t.text('extra').notNullable();
    t.text('internal_info').notNullable();
    t.text('local_link_connection').notNullable();
    t.boolean('pxe_enabled').notNullable().defaultTo(true);
    t.string('physical_network', 64).nullable();
    t.boolean('is_smartnic').notNullable().defaultTo(false);
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
    t.index(['node_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ports');
  await knex.schema.dropTable('nodes');
}
