import type { Knex } from 'knex';

export const name = '008_chassis';

/**
 * Chassis, and a foreign key from `nodes.chassis_uuid` (kept: it is what the
 * API shows) to `chassis.uuid`, so that the database, not a check in code,
 * refuses a node naming no chassis and the deletion of a chassis that holds
 * nodes, whatever races. SQLite cannot add a constraint to a column, and
 * rebuilding `nodes` inside the migration's transaction would cascade the
 * drop onto its ports, so the column is renamed, added anew with the
 * reference (which both engines allow), filled and the old one dropped.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('chassis', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.string('description', 255).nullable();
    t.text('extra').notNullable();
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
  });

  // Before chassis existed any uuid was accepted: each one a node names becomes a chassis, so nothing is lost.
  const named = await knex<{ chassis_uuid: string }>('nodes').distinct('chassis_uuid').whereNotNull('chassis_uuid');
  const canonical = new Map(named.map((r) => [r.chassis_uuid, canonicalUuid(r.chassis_uuid)]));
  const now = new Date().toISOString();
  for (const uuid of new Set(canonical.values())) {
    await knex('chassis').insert({
      uuid,
      description: 'Recorded by the upgrade that added chassis: nodes named it before it existed.',
      extra: '{}',
      created_at: now,
    });
  }

  await knex.raw('alter table nodes rename column chassis_uuid to chassis_uuid_unchecked');
  await knex.raw(
    'alter table nodes add column chassis_uuid varchar(36) null constraint nodes_chassis_uuid_foreign references chassis (uuid)',
  );
  for (const [stored, uuid] of canonical) {
    await knex('nodes').where({ chassis_uuid_unchecked: stored }).update({ chassis_uuid: uuid });
  }
  await knex.raw('alter table nodes drop column chassis_uuid_unchecked');
  // PostgreSQL does not index a referencing column; deleting a chassis looks its nodes up by it.
  await knex.schema.alterTable('nodes', (t) => {
    t.index(['chassis_uuid']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('nodes', (t) => {
    t.dropIndex(['chassis_uuid']);
  });
  await knex.raw('alter table nodes rename column chassis_uuid to chassis_uuid_checked');
  await knex.raw('alter table nodes add column chassis_uuid varchar(36) null');
  await knex.raw('update nodes set chassis_uuid = chassis_uuid_checked');
  await knex.raw('alter table nodes drop column chassis_uuid_checked');
  await knex.schema.dropTable('chassis');
}

/** Lower case and dashed, as the API writes uuids (the column took them as given). */
function canonicalUuid(value: string): string {
  const hex = value.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
