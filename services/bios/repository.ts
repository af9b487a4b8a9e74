import type { Knex } from 'knex';
import { col, isForeignKeyViolation, rowCodec } from '../db/index.js';
import { NodeNotFound } from '../errors.js';
import type { BiosSettingRecord, ReportedBiosSetting } from './model.js';
import { planBiosSync } from './sync.js';

/** The reference from a BIOS setting to its node (named in the migration). */
const BIOS_NODE_CONSTRAINT = 'bios_settings_node_id_foreign';

/** Rows per INSERT or DELETE: a BIOS lists hundreds of settings, well past what one statement should bind. */
const CHUNK = 200;

/** A 64-bit integer column: PostgreSQL answers `bigint` as text, SQLite as a number. */
const bigInteger: col.ColumnCodec<number> = {
  expected: 'a 64-bit integer',
  decode(value, column) {
    const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
    throw new col.RowDecodeError(`${column}: expected ${bigInteger.expected}, got ${col.describeValue(value)}`);
  },
  encode: (value) => value,
};

const SETTING = rowCodec<BiosSettingRecord>('bios_settings', {
  node_id: col.integer,
  name: col.text,
  value: col.nullable(col.text),
  attribute_type: col.nullable(col.text),
  allowable_values: col.nullable(col.jsonStringList),
  lower_bound: col.nullable(bigInteger),
  max_length: col.nullable(col.integer),
  min_length: col.nullable(col.integer),
  read_only: col.nullable(col.boolean),
  reset_required: col.nullable(col.boolean),
  unique: col.nullable(col.boolean),
  upper_bound: col.nullable(bigInteger),
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
});

/** The `bios_settings` table: each node's BIOS settings as last read from its BMC. */
export class BiosSettingsRepository {
  constructor(private readonly knex: Knex) {}

  /** A node's settings by name; none for a node whose BIOS was never read. */
  async listForNode(nodeId: number, db: Knex = this.knex): Promise<BiosSettingRecord[]> {
    return SETTING.fromRows(await db('bios_settings').where({ node_id: nodeId }).orderBy('name'));
  }

  async get(nodeId: number, name: string): Promise<BiosSettingRecord | null> {
    return SETTING.fromFirst(await this.knex('bios_settings').where({ node_id: nodeId, name }).first());
  }

  /**
   * Makes the node's record what the BMC reports now (planBiosSync says
   * what changes), in one transaction, and answers it: a reader never sees
   * half a refresh.
   */
  async sync(
    node: { id: number; uuid: string },
    reported: readonly ReportedBiosSetting[],
    now: Date = new Date(),
  ): Promise<BiosSettingRecord[]> {
    const at = now.toISOString();
    try {
      await this.knex.transaction(async (trx) => {
        const plan = planBiosSync(await this.listForNode(node.id, trx), reported);
        const rows = plan.create.map((s) =>
          SETTING.toRow({ ...s, node_id: node.id, created_at: at, updated_at: null }),
        );
        for (let i = 0; i < rows.length; i += CHUNK) await trx('bios_settings').insert(rows.slice(i, i + CHUNK));
        for (const s of plan.change)
          await trx('bios_settings')
            .where({ node_id: node.id, name: s.name })
            .update(SETTING.toRow({ ...s, updated_at: at }));
        for (const s of plan.redescribe)
          await trx('bios_settings').where({ node_id: node.id, name: s.name }).update(SETTING.toRow(s));
        for (let i = 0; i < plan.remove.length; i += CHUNK)
          await trx('bios_settings')
            .where({ node_id: node.id })
            .whereIn('name', plan.remove.slice(i, i + CHUNK))
            .delete();
      });
    } catch (err) {
      // Only the node is referenced: it was deleted since it was read.
      if (isForeignKeyViolation(err, BIOS_NODE_CONSTRAINT)) throw new NodeNotFound(node.uuid);
      throw err;
    }
    return this.listForNode(node.id);
  }
}
