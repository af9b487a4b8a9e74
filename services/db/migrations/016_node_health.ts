import type { Knex } from 'knex';

export const name = '016_node_health';

/**
 * The hardware health a node's BMC last reported (Ironic's `nodes.health`,
 * API 1.109): `OK`, `Warning`, `Critical`, or null while none is known.
 * Power sync keeps it; the size is Ironic's.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('nodes', (t) => {
    t.string('health', 32).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('nodes', (t) => {
    t.dropColumn('health');
  });
}
