import type { Knex } from 'knex';

export const name = '014_retire_agent_raid';

/**
 * The agent RAID interface is no longer offered (the agent carries no RAID
 * steps here): nodes that named it get `no-raid`, what they could actually
 * do, rather than an interface validation would call disabled.
 */
export async function up(knex: Knex): Promise<void> {
  await knex('nodes').where({ raid_interface: 'agent' }).update({ raid_interface: 'no-raid' });
}

// Which nodes named `agent` is not recorded; they keep `no-raid`.
export async function down(): Promise<void> {}
