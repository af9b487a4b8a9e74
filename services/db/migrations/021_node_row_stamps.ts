import type { Knex } from 'knex';
import { isPostgres } from '../engine.js';

export const name = '021_node_row_stamps';

/**
 * A stamp on every node row that the database itself changes on every
 * insert and update, whichever code wrote it: the API keeps each node's
 * serialized detail under its stamp and rebuilds only what changed
 * (api/node-detail-cache.ts). PostgreSQL draws stamps from a sequence;
 * SQLite, which has none, from random() (63 bits, kept within JavaScript's
 * safe integers), so a node deleted and made again never meets its old stamp.
 */
export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw('CREATE SEQUENCE nodes_row_stamp_seq');
    await knex.raw("ALTER TABLE nodes ADD COLUMN row_stamp bigint NOT NULL DEFAULT nextval('nodes_row_stamp_seq')");
    await knex.raw(`CREATE FUNCTION nodes_row_stamp() RETURNS trigger AS $$
      BEGIN NEW.row_stamp := nextval('nodes_row_stamp_seq'); RETURN NEW; END
      $$ LANGUAGE plpgsql`);
    await knex.raw(
      'CREATE TRIGGER nodes_row_stamp BEFORE UPDATE ON nodes FOR EACH ROW EXECUTE FUNCTION nodes_row_stamp()',
    );
    return;
  }
  const stamp = 'abs(random()) % 9007199254740991';
  await knex.raw('ALTER TABLE nodes ADD COLUMN row_stamp integer NOT NULL DEFAULT 0');
  await knex.raw(`UPDATE nodes SET row_stamp = ${stamp}`);
  // AFTER triggers write the stamp with a second UPDATE; SQLite's recursive_triggers is off, so it does not fire them again.
  await knex.raw(`CREATE TRIGGER nodes_row_stamp_insert AFTER INSERT ON nodes
    BEGIN UPDATE nodes SET row_stamp = ${stamp} WHERE id = NEW.id; END`);
  await knex.raw(`CREATE TRIGGER nodes_row_stamp_update AFTER UPDATE ON nodes
    BEGIN UPDATE nodes SET row_stamp = ${stamp} WHERE id = NEW.id; END`);
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw('DROP TRIGGER nodes_row_stamp ON nodes');
    await knex.raw('DROP FUNCTION nodes_row_stamp()');
    await knex.raw('ALTER TABLE nodes DROP COLUMN row_stamp');
    await knex.raw('DROP SEQUENCE nodes_row_stamp_seq');
    return;
  }
  await knex.raw('DROP TRIGGER nodes_row_stamp_insert');
  await knex.raw('DROP TRIGGER nodes_row_stamp_update');
  await knex.raw('ALTER TABLE nodes DROP COLUMN row_stamp');
}
