import type { Knex } from 'knex';

export const name = '023_node_pending_work_indexes';

/**
 * Partial indexes of the few nodes with a power target or a console change
 * pending, so that a conductor's sweep (every 2 s) finds them without
 * reading every unlocked node and its driver_internal_info. Each condition
 * is the very text of the sweep's (NodeRepository.listUnlockedWork): both
 * engines use a partial index only for a query that states its condition.
 * `console_target` is the key conductor/console.ts writes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX nodes_power_target_pending ON nodes (id) WHERE target_power_state IS NOT NULL');
  await knex.raw(
    `CREATE INDEX nodes_console_target_pending ON nodes (id) WHERE driver_internal_info LIKE '%"console_target":%'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX nodes_console_target_pending');
  await knex.raw('DROP INDEX nodes_power_target_pending');
}
