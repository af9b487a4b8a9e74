import type { Knex } from 'knex';
import { col, rowCodec, type Columns } from '../db/index.js';
import type { ChangeAction, NewChange } from './model.js';

/**
 * What the feed shows of each kind of object. A node's view is the fields a
 * controller follows it by (provision and power state, maintenance, fault,
 * errors, who holds it, and the labels it selects nodes on: `extra` and
 * `traits`); a write that changes none of them is not a change the feed
 * records. Adding a field here is all it takes to carry it. States
 * are read as the text stored: the repositories check them on their way in.
 */
type NodeView = {
  uuid: string;
  name: string | null;
  provision_state: string;
  target_provision_state: string | null;
  power_state: string | null;
  target_power_state: string | null;
  maintenance: boolean;
  maintenance_reason: string | null;
  fault: string | null;
  last_error: string | null;
  instance_uuid: string | null;
  allocation_uuid: string | null;
  resource_class: string | null;
  extra: Record<string, unknown>;
  traits: string[];
  updated_at: string | null;
};

const NODE_COLUMNS: Columns<NodeView> = {
  uuid: col.text,
  name: col.nullable(col.text),
  provision_state: col.text,
  target_provision_state: col.nullable(col.text),
  power_state: col.nullable(col.text),
  target_power_state: col.nullable(col.text),
  maintenance: col.boolean,
  maintenance_reason: col.nullable(col.text),
  fault: col.nullable(col.text),
  last_error: col.nullable(col.text),
  instance_uuid: col.nullable(col.text),
  allocation_uuid: col.nullable(col.text),
  resource_class: col.nullable(col.text),
  extra: col.jsonObject,
  traits: col.jsonStringList,
  updated_at: col.nullable(col.timestamp),
};
const NODE_VIEW = rowCodec('nodes', NODE_COLUMNS);

/** The node columns the feed reads (for `select` and `returning`). */
export const NODE_FEED_COLUMNS: readonly string[] = Object.keys(NODE_COLUMNS);

const NODE_TRIGGERS = new Set(NODE_FEED_COLUMNS.filter((c) => c !== 'updated_at'));

/** Whether a write of `fields` can change what the feed shows of a node (`updated_at` alone does not). */
export function touchesNodeFeed(fields: object): boolean {
  return Object.entries(fields).some(([key, value]) => value !== undefined && NODE_TRIGGERS.has(key));
}

/** A node change from a row holding at least NODE_FEED_COLUMNS. */
export function nodeChange(action: ChangeAction, row: unknown): NewChange {
  return { kind: 'node', action, data: NODE_VIEW.fromRow(row) };
}

/** The changes of the nodes `ids`, read in the transaction that changed them. */
export async function nodeChanges(trx: Knex.Transaction, action: ChangeAction, ids: number[]): Promise<NewChange[]> {
  if (ids.length === 0) return [];
  const rows: unknown[] = await trx('nodes').select(NODE_FEED_COLUMNS).whereIn('id', ids).orderBy('id');
  return rows.map((row) => nodeChange(action, row));
}

/** An allocation's view: its API view's main fields. */
type AllocationView = {
  uuid: string;
  name: string | null;
  state: string;
  node_uuid: string | null;
  resource_class: string | null;
  traits: string[];
  owner: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string | null;
};

export function allocationChange(action: ChangeAction, a: AllocationView): NewChange {
  const data: AllocationView = {
    uuid: a.uuid,
    name: a.name,
    state: a.state,
    node_uuid: a.node_uuid,
    resource_class: a.resource_class,
    traits: a.traits,
    owner: a.owner,
    last_error: a.last_error,
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
  return { kind: 'allocation', action, data };
}

/** The allocation's own columns: its node's uuid lives on the node. */
const ALLOCATION_COLUMNS: Columns<Omit<AllocationView, 'node_uuid'>> = {
  uuid: col.text,
  name: col.nullable(col.text),
  state: col.text,
  resource_class: col.nullable(col.text),
  traits: col.jsonStringList,
  owner: col.nullable(col.text),
  last_error: col.nullable(col.text),
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
};
const ALLOCATION_ROW = rowCodec('allocations', ALLOCATION_COLUMNS);

/** The allocation columns the feed reads (for `returning`). */
export const ALLOCATION_FEED_COLUMNS: readonly string[] = Object.keys(ALLOCATION_COLUMNS);

/** An allocation change from a row of ALLOCATION_FEED_COLUMNS, and the uuid of the node it held. */
export function allocationRowChange(action: ChangeAction, row: unknown, nodeUuid: string | null): NewChange {
  return allocationChange(action, { ...ALLOCATION_ROW.fromRow(row), node_uuid: nodeUuid });
}
