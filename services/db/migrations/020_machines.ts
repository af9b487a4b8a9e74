import type { Knex } from 'knex';

export const name = '020_machines';

/**
 * Cluster API machines (issue 15): the spec a provider wrote, as JSON, and
 * the status Anvil keeps. `node_uuid` is unique, so two machines can never
 * hold one host whatever races; the host's own `instance_uuid` (unique too)
 * points back at the machine.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('machines', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.string('name', 255).notNullable().unique();
    t.string('cluster', 255).notNullable();
    t.text('spec').notNullable();
    t.string('phase', 16).notNullable();
    t.boolean('deleting').notNullable().defaultTo(false);
    t.string('node_uuid', 36).nullable().unique();
    t.text('addresses').notNullable();
    t.boolean('ready').notNullable().defaultTo(false);
    t.string('failure_reason', 64).nullable();
    t.text('failure_message').nullable();
    t.text('phase_times').notNullable();
    t.text('remediation').nullable();
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
    t.index(['phase']);
    t.index(['cluster']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('machines');
}
