import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { NotFound } from '../errors.js';

export type Severity = 'INFO' | 'WARNING' | 'ERROR';
/** What an entry is about: a state transition, a power change, a lock conflict, a BMC error, a network boot step... */
export type EventType = 'provisioning' | 'power' | 'lock' | 'maintenance' | 'bmc' | 'boot';

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

/** Every transition, power change, BMC error and lock conflict of a node (Ironic's node history). */
export class NodeHistory {
  constructor(
    private readonly knex: Knex,
    private readonly conductor: string,
  ) {}

  async record(nodeId: number, e: HistoryEvent): Promise<void> {
    await this.knex('node_history').insert({
      uuid: randomUUID(),
      node_id: nodeId,
      created_at: new Date().toISOString(),
      severity: e.severity,
      event_type: e.event_type,
      event: e.event,
      conductor: this.conductor,
      user: null,
    });
  }

  async get(nodeId: number, uuid: string): Promise<HistoryEntry> {
    const row = await this.knex('node_history').where({ node_id: nodeId, uuid }).first();
    if (!row) throw new NotFound(`Node history record ${uuid} could not be found.`);
    const { id: _id, node_id: _node, ...entry } = row as HistoryEntry & { id: number; node_id: number };
    return entry;
  }

  /** Oldest first, paged by entry uuid as Ironic's other collections are. */
  async list(nodeId: number, limit: number, marker?: string): Promise<HistoryEntry[]> {
    const query = this.knex('node_history').where({ node_id: nodeId }).orderBy('id').limit(limit);
    if (marker !== undefined) {
      const after = await this.knex('node_history').where({ uuid: marker, node_id: nodeId }).first('id');
      if (!after) throw new NotFound(`Node history record ${marker} could not be found.`);
      query.where('id', '>', after.id);
    }
    const rows: (HistoryEntry & { id: number; node_id: number })[] = await query;
    return rows.map(({ id: _id, node_id: _node, ...entry }) => entry);
  }
}
