import type { Knex } from 'knex';
import { col, insertRecord, listPage, rowCodec, uniqueViolationError, type PageRequest } from '../db/index.js';
import { AllocationNotFound, Conflict } from '../errors.js';
import { ALLOCATION_STATES, type Allocation } from './model.js';

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

const ALLOCATIONS = rowCodec<Allocation>('allocations', {
  id: col.generatedId,
  uuid: col.text,
  name: col.nullable(col.text),
  node_id: col.nullable(col.integer),
  node_uuid: col.readOnly(col.nullable(col.text)),
  state: col.oneOf(ALLOCATION_STATES),
  last_error: col.nullable(col.text),
  resource_class: col.nullable(col.text),
  traits: col.jsonStringList,
  candidate_nodes: col.jsonStringList,
  extra: col.jsonObject,
  owner: col.nullable(col.text),
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
});
const CANDIDATES = rowCodec<NodeCandidate>('nodes', { id: col.integer, uuid: col.text });

export class AllocationRepository {
  constructor(private readonly knex: Knex) {}

  private base() {
    return this.knex('allocations')
      .leftJoin('nodes', 'nodes.id', 'allocations.node_id')
      .select('allocations.*', 'nodes.uuid as node_uuid');
  }

  async create(a: Omit<Allocation, 'id' | 'node_id' | 'node_uuid'>): Promise<Allocation> {
    return this.getById(await insertRecord(this.knex, ALLOCATIONS, a, (err) => translate(err, a)));
  }

  async getById(id: number): Promise<Allocation> {
    const row: unknown = await this.base().where('allocations.id', id).first();
    return ALLOCATIONS.fromFound(row, () => new AllocationNotFound(String(id)));
  }

  async find(column: 'uuid' | 'name' | 'node_id', value: string | number): Promise<Allocation | null> {
    return ALLOCATIONS.fromFirst(await this.base().where(`allocations.${column}`, value).first());
  }

  async list(q: PageRequest<AllocationSortKey> & { filter: AllocationFilter }): Promise<Allocation[]> {
    const query = this.base();
    for (const key of ['node_id', 'resource_class', 'state', 'owner'] as const) {
      const value = q.filter[key];
      if (value !== undefined) query.where(`allocations.${key}`, value);
    }
    return listPage(this.knex, ALLOCATIONS, query, q, AllocationNotFound);
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
    const { owner } = want;
    if (owner !== null) {
      query.where((w) => {
        w.where('owner', owner).orWhere('lessee', owner);
      });
    }
    if (want.among.length > 0) query.whereIn('uuid', want.among);
    // Traits are a JSON list of [A-Z0-9_] names: a quoted name matches exactly one element.
    for (const trait of want.traits) query.where('traits', 'like', `%"${trait}"%`);
    return CANDIDATES.fromRows(await query);
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
        .where((w) => {
          w.whereNull('instance_uuid').orWhere('instance_uuid', allocation.uuid);
        })
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
        .update({ ...ALLOCATIONS.toRow(changes), updated_at: new Date().toISOString() });
    } catch (err) {
      throw translate(err, changes);
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

function translate(err: unknown, a: Partial<Pick<Allocation, 'uuid' | 'name'>>): unknown {
  return uniqueViolationError(err, 'allocations', {
    name: () => new Conflict(`An allocation with name ${a.name ?? ''} already exists.`),
    uuid: () => new Conflict(`An allocation with UUID ${a.uuid ?? ''} already exists.`),
  });
}
