import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { col, rowCodec } from '../db/index.js';
import { NotFound } from '../errors.js';
import { currentActor } from './actor.js';

const SEVERITIES = ['INFO', 'WARNING', 'ERROR'] as const;
export type Severity = (typeof SEVERITIES)[number];
/**
 * What an entry is about: a state transition, a power change, a lock
 * conflict, a BMC error, a network boot step, the ramdisk agent (its lookup,
 * its first call back, each step handed to it), a change in the health the BMC reports...
 */
const EVENT_TYPES = [
  'provisioning',
  'power',
  'lock',
  'maintenance',
  'bmc',
  'boot',
  'agent',
  'console',
  'monitoring',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface HistoryEntry {
  uuid: string;
  created_at: string;
  severity: Severity;
  event_type: EventType;
  event: string;
  conductor: string | null;
  user: string | null;
}

export interface HistoryEvent {
  severity: Severity;
  event_type: EventType;
  event: string;
}

const ENTRIES = rowCodec<HistoryEntry>('node_history', {
  uuid: col.text,
  created_at: col.timestamp,
  severity: col.oneOf(SEVERITIES),
  event_type: col.oneOf(EVENT_TYPES),
  event: col.text,
  conductor: col.nullable(col.text),
  user: col.nullable(col.text),
});
const POSITION = rowCodec<{ id: number }>('node_history', { id: col.generatedId });

/**
 * Every transition, power change, BMC error and lock conflict of a node
 * (Ironic's node history), with the user or token it was done for, if any.
 */
export class NodeHistory {
  constructor(
    private readonly knex: Knex,
    private readonly conductor: string,
  ) {}

  /** Appends an entry; `db` is the transaction of the change it records, when there is one, so both commit together. */
  record(nodeId: number, e: HistoryEvent, db: Knex = this.knex): Promise<void> {
    return this.recordAll(nodeId, [e], db);
  }

  /** Appends entries in their order, in one statement. */
  async recordAll(nodeId: number, events: readonly HistoryEvent[], db: Knex = this.knex): Promise<void> {
    if (events.length === 0) return;
    const { table, rows } = this.rowsFor(events);
    await db(table).insert(rows.map((row) => ({ node_id: nodeId, ...row })));
  }

  /**
   * The rows of `events` as entries, but for their node's id: for the
   * repository to write in the statement that changes the node (NodeRepository.update).
   */
  rowsFor(events: readonly HistoryEvent[]): { table: string; rows: Record<string, unknown>[] } {
    const created_at = new Date().toISOString();
    const user = currentActor();
    return {
      table: 'node_history',
      rows: events.map((e) => ENTRIES.toRow({ uuid: randomUUID(), created_at, ...e, conductor: this.conductor, user })),
    };
  }

  async get(nodeId: number, uuid: string): Promise<HistoryEntry> {
    const row: unknown = await this.knex('node_history').where({ node_id: nodeId, uuid }).first();
    return ENTRIES.fromFound(row, () => new NotFound(`Node history record ${uuid} could not be found.`));
  }

  /** Oldest first, paged by entry uuid as Ironic's other collections are. */
  async list(nodeId: number, limit: number, marker?: string): Promise<HistoryEntry[]> {
    const query = this.knex('node_history').where({ node_id: nodeId }).orderBy('id').limit(limit);
    if (marker !== undefined) {
      const after = POSITION.fromFirst(
        await this.knex('node_history').where({ uuid: marker, node_id: nodeId }).first('id'),
      );
      if (!after) throw new NotFound(`Node history record ${marker} could not be found.`);
      query.where('id', '>', after.id);
    }
    return ENTRIES.fromRows(await query);
  }
}
