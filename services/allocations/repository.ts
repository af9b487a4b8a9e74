import type { Knex } from 'knex';
import { applyKeyset, uniqueViolationColumn, type SortDir } from '../db/index.js';
import { AllocationNotFound, Conflict } from '../errors.js';
import type { Allocation } from './model.js';

export interface AllocationFilter {
  node_id?: number;
  resource_class?: string;
  state?: string;
  owner?: string;
}

export const ALLOCATION_SORT_KEYS = [
  'id',
  'uuid',
  'name',
  'state',
  'resource_class',
  'created_at',
  'updated_at',
] as const;
export type AllocationSortKey = (typeof ALLOCATION_SORT_KEYS)[number];

export interface NodeCandidate {
  id: number;
  uuid: string;
}

export interface CandidateQuery {
  resourceClass: string | null;
  owner: string | null;
  traits: string[];
  /** Node uuids to choose among; empty means any. */
  among: string[];
}

type Row = Record<string, unknown>;
const JSON_FIELDS = ['traits', 'candidate_nodes', 'extra'] as const;

export class AllocationRepository {
  constructor(private readonly knex: Knex) {}

  private base() {
    return this.knex('allocations')
      .leftJoin('nodes', 'nodes.id', 'allocations.node_id')
      .select('allocations.*', 'nodes.uuid as node_uuid');
  }

  async create(a: Omit<Allocation, 'id' | 'node_id' | 'node_uuid'>): Promise<Allocation> {
    try {
      const [row] = await this.knex('allocations').insert(toRow(a)).returning('id');
      return await this.getById((row as { id: number }).id);
    } catch (err) {
      const column = uniqueViolationColumn(err, 'allocations');
      if (column === 'name') throw new Conflict(`An allocation with name ${a.name ?? ''} already exists.`);
      if (column === 'uuid') throw new Conflict(`An allocation with UUID ${a.uuid} already exists.`);
      throw err;
    }
  }

  async getById(id: number): Promise<Allocation> {
    const row = await this.base().where('allocations.id', id).first();
    if (!row) throw new AllocationNotFound(String(id));
    return fromRow(row);
  }

  async find(column: 'uuid' | 'name' | 'node_id', value: string | number): Promise<Allocation | null> {
    const row = await this.base().where(`allocations.${column}`, value).first();
    return row ? fromRow(row) : null;
  }

  async list(q: {
    filter: AllocationFilter;
    sortKey: AllocationSortKey;
    sortDir: SortDir;
    limit: number;
    marker?: string;
  }) {
    const query = this.base();
    for (const [key, value] of Object.entries(q.filter)) {
      if (value !== undefined) query.where(`allocations.${key}`, value);
    }
    let after: { value: unknown; id: number } | undefined;
    if (q.marker !== undefined) {
      const marker = await this.knex('allocations').where({ uuid: q.marker }).first();
      if (!marker) throw new AllocationNotFound(q.marker);
      after = { value: marker[q.sortKey], id: marker.id as number };
    }
    const rows: Row[] = await applyKeyset(query, {
      table: 'allocations',
      column: q.sortKey,
      dir: q.sortDir,
      limit: q.limit,
      ...(after ? { after } : {}),
    });
    return rows.map(fromRow);
  }

  /**
   * Nodes an allocation could take: available, powered, out of maintenance,
   * free, unlocked, of the class and owner, holding every trait asked for.
   */
  async candidates(want: CandidateQuery, limit: number): Promise<NodeCandidate[]> {
    const query = this.knex('nodes')
      .select('id', 'uuid')
      .where({ provision_state: 'available', maintenance: false })
      .whereNotNull('power_state')
      .whereNull('instance_uuid')
      .whereNull('allocation_uuid')
      .whereNull('reservation')
      .limit(limit);
    if (want.resourceClass !== null) query.where('resource_class', want.resourceClass);
    // As Ironic's project filter: a node owned or leased by the allocation's owner.
    if (want.owner !== null) query.where((w) => w.where('owner', want.owner).orWhere('lessee', want.owner));
    if (want.among.length > 0) query.whereIn('uuid', want.among);
    // Traits are a JSON list of [A-Z0-9_] names: a quoted name matches exactly one element.
    for (const trait of want.traits) query.where('traits', 'like', `%"${trait}"%`);
    return query;
  }

  /**
   * Gives `nodeId` to the allocation if nobody else has it: the node's row
   * is the arbiter (a conditional UPDATE), in one transaction with the
   * allocation's own row, so a race never leaves a half-made pair.
   */
  async claim(allocation: Allocation, nodeId: number, requireAvailable: boolean): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      const update = trx('nodes')
        .where({ id: nodeId })
        .whereNull('allocation_uuid')
        .where((w) => w.whereNull('instance_uuid').orWhere('instance_uuid', allocation.uuid))
        .whereNull('reservation');
      if (requireAvailable)
        update.where({ provision_state: 'available', maintenance: false }).whereNotNull('power_state');
      const taken = await update.update({ allocation_uuid: allocation.uuid, instance_uuid: allocation.uuid });
      if (taken !== 1) return false;
      await trx('allocations')
        .where({ id: allocation.id })
        .update({ node_id: nodeId, state: 'active', last_error: null, updated_at: new Date().toISOString() });
      return true;
    });
  }

  async fail(id: number, error: string): Promise<void> {
    await this.knex('allocations')
      .where({ id })
      .update({ state: 'error', last_error: error, updated_at: new Date().toISOString() });
  }

  async update(id: number, changes: Partial<Pick<Allocation, 'name' | 'extra'>>): Promise<Allocation> {
    try {
      await this.knex('allocations')
        .where({ id })
        .update({ ...toRow(changes), updated_at: new Date().toISOString() });
    } catch (err) {
      if (uniqueViolationColumn(err, 'allocations') === 'name') {
        throw new Conflict(`An allocation with name ${changes.name ?? ''} already exists.`);
      }
      throw err;
    }
    return this.getById(id);
  }

  /** Deletes the allocation and frees its node, in one transaction. */
  async delete(allocation: Allocation): Promise<void> {
    await this.knex.transaction(async (trx) => {
      if (allocation.node_id !== null) {
        await trx('nodes')
          .where({ id: allocation.node_id, allocation_uuid: allocation.uuid })
          .update({ allocation_uuid: null });
        await trx('nodes')
          .where({ id: allocation.node_id, instance_uuid: allocation.uuid })
          .update({ instance_uuid: null });
      }
      await trx('allocations').where({ id: allocation.id }).delete();
    });
  }
}

function toRow(a: Partial<Allocation>): Row {
  const row: Row = { ...a };
  for (const f of JSON_FIELDS) if (row[f] !== undefined) row[f] = JSON.stringify(row[f]);
  delete row.node_uuid;
  return row;
}

function fromRow(row: Row): Allocation {
  const a: Row = { ...row };
  for (const f of JSON_FIELDS) a[f] = JSON.parse(row[f] as string);
  return a as unknown as Allocation;
}
