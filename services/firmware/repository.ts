import type { Knex } from 'knex';
import { col, isForeignKeyViolation, rowCodec } from '../db/index.js';
import { NodeNotFound } from '../errors.js';
import type { FirmwareRecord, ReportedFirmware } from './model.js';
import { planFirmwareSync } from './sync.js';

/** The reference from a firmware component to its node (named in the migration). */
export const FIRMWARE_NODE_CONSTRAINT = 'firmware_components_node_id_foreign';

const FIRMWARE = rowCodec<FirmwareRecord>('firmware_components', {
  id: col.generatedId,
  node_id: col.integer,
  component: col.text,
  initial_version: col.text,
  current_version: col.text,
  last_version_flashed: col.nullable(col.text),
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
});

/** The `firmware_components` table: each node's components with their version history. */
export class FirmwareRepository {
  constructor(private readonly knex: Knex) {}

  /** A node's components in the order they were first seen. */
  async listForNode(nodeId: number): Promise<FirmwareRecord[]> {
    return FIRMWARE.fromRows(await this.knex('firmware_components').where({ node_id: nodeId }).orderBy('id'));
  }

  /**
   * Records what the BMC reports now (planFirmwareSync says what changes) and
   * answers the node's components. Readers may race (the API and a conductor
   * step): a component two of them create is recorded once (the unique key),
   * and a change is written only over the version it was planned from.
   */
  async sync(
    node: { id: number; uuid: string },
    reported: readonly ReportedFirmware[],
    now: Date = new Date(),
  ): Promise<FirmwareRecord[]> {
    const plan = planFirmwareSync(await this.listForNode(node.id), reported);
    const at = now.toISOString();
    if (plan.create.length > 0) {
      const rows = plan.create.map((r) =>
        FIRMWARE.toRow({
          node_id: node.id,
          component: r.component,
          initial_version: r.version,
          current_version: r.version,
          last_version_flashed: null,
          created_at: at,
          updated_at: null,
        }),
      );
      try {
        await this.knex('firmware_components').insert(rows).onConflict(['node_id', 'component']).ignore();
      } catch (err) {
        // Only the node is referenced: it was deleted since it was read.
        if (isForeignKeyViolation(err, FIRMWARE_NODE_CONSTRAINT)) throw new NodeNotFound(node.uuid);
        throw err;
      }
    }
    for (const c of plan.change) {
      await this.knex('firmware_components')
        .where({ node_id: node.id, component: c.component, current_version: c.previous })
        .update(FIRMWARE.toRow({ current_version: c.version, last_version_flashed: c.version, updated_at: at }));
    }
    return this.listForNode(node.id);
  }
}
