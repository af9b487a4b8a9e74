import type { Knex } from 'knex';
import {
  col,
  deleteReturning,
  insertRecord,
  listPage,
  rowCodec,
  uniqueViolationError,
  type PageRequest,
} from '../db/index.js';
import { AllocationNotFound, Conflict, InstanceAssociated, NodeAssociated } from '../errors.js';
import {
  ALLOCATION_FEED_COLUMNS,
  allocationChange,
  allocationRowChange,
  ChangeRecorder,
  NODE_FEED_COLUMNS,
  nodeChange,
  nodeChanges,
} from '../feed/index.js';
import type { Node } from '../nodes/index.js';
import { wantOf, type NodeCandidate, type NodeWant } from './rules.js';
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

/**
 * What became of an attempt to give a node to an allocation: the node is
 * locked for a moment (worth retrying), someone else has it or it no longer
 * fits, or the allocation is no longer waiting (done elsewhere, or deleted).
 */
export type ClaimOutcome = 'claimed' | 'busy' | 'taken' | 'gone';

type NewAllocation = Omit<Allocation, 'id' | 'node_id' | 'node_uuid'>;

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
const CANDIDATES = rowCodec<NodeCandidate>('nodes', {
  id: col.integer,
  uuid: col.text,
  name: col.nullable(col.text),
});

/** Thrown inside a claim's transaction to undo it. */
class ClaimUndone extends Error {
  constructor(readonly outcome: 'gone') {
    super(outcome);
  }
}

/**
 * Allocations in the database. Every write records the allocation (and the
 * node it takes or frees) in the change feed, in the same transaction.
 */
export class AllocationRepository {
  private readonly changes: ChangeRecorder;

  constructor(private readonly knex: Knex) {
    this.changes = ChangeRecorder.of(knex);
  }

  private base(q: Knex = this.knex) {
    return q('allocations')
      .leftJoin('nodes', 'nodes.id', 'allocations.node_id')
      .select('allocations.*', 'nodes.uuid as node_uuid');
  }

  /** The allocation as stored, read in `trx` after it wrote it. */
  private async reread(trx: Knex.Transaction, id: number): Promise<Allocation> {
    const row: unknown = await this.base(trx).where('allocations.id', id).first();
    return ALLOCATIONS.fromFound(row, () => new AllocationNotFound(String(id)));
  }

  async create(a: NewAllocation): Promise<Allocation> {
    const id = await this.knex.transaction(async (trx) => {
      const inserted = await insertRecord(trx, ALLOCATIONS, a, (err) => translate(err, a));
      await this.changes.record(trx, [allocationChange('created', await this.reread(trx, inserted))]);
      return inserted;
    });
    return this.getById(id);
  }

  /**
   * Records an active allocation for a node that already runs its instance,
   * and points the node back at it, in one transaction: the node must have no
   * allocation, and no instance or this one.
   */
  async createBackfilled(a: NewAllocation, node: Pick<Node, 'id' | 'uuid' | 'instance_uuid'>): Promise<Allocation> {
    const id = await this.knex.transaction(async (trx) => {
      const inserted = await insertRecord(trx, ALLOCATIONS, { ...a, node_id: node.id }, (err) => translate(err, a));
      let taken: number;
      try {
        taken = await trx('nodes')
          .where({ id: node.id })
          .whereNull('allocation_uuid')
          .where((w) => {
            w.whereNull('instance_uuid').orWhere('instance_uuid', a.uuid);
          })
          .update({ allocation_uuid: a.uuid, instance_uuid: a.uuid });
      } catch (err) {
        throw uniqueViolationError(err, 'nodes', { instance_uuid: () => new InstanceAssociated(a.uuid, node.uuid) });
      }
      if (taken !== 1) throw new NodeAssociated(node.uuid, node.instance_uuid ?? a.uuid);
      await this.changes.record(trx, [
        allocationChange('created', await this.reread(trx, inserted)),
        ...(await nodeChanges(trx, 'updated', [node.id])),
      ]);
      return inserted;
    });
    return this.getById(id);
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

  /** Allocations still waiting for a node, oldest first. */
  async listAllocating(limit: number): Promise<Allocation[]> {
    return ALLOCATIONS.fromRows(
      await this.base().where('allocations.state', 'allocating').orderBy('allocations.id').limit(limit),
    );
  }

  /** Up to `limit` nodes that fit `want`, locked or not (a lock is a moment; the claim sees it). */
  async candidates(want: NodeWant, limit: number): Promise<NodeCandidate[]> {
    const query = this.knex('nodes').select('id', 'uuid', 'name').limit(limit);
    whereFits(query, want);
    return CANDIDATES.fromRows(await query);
  }

  /**
   * Gives the node to the allocation if it still fits and nobody holds it:
   * the node's row is the arbiter (a conditional UPDATE that also wants its
   * lock free), and the allocation moves to `active` only while it is still
   * `allocating`, both in one transaction, so two conductors racing never
   * give one node twice nor one allocation two nodes.
   */
  async claim(allocation: Allocation, node: Pick<NodeCandidate, 'id' | 'uuid'>): Promise<ClaimOutcome> {
    try {
      return await this.knex.transaction(async (trx) => {
        const update = trx('nodes').where({ id: node.id }).whereNull('reservation');
        whereFits(update, wantOf(allocation));
        let taken: number;
        try {
          taken = await update.update({ allocation_uuid: allocation.uuid, instance_uuid: allocation.uuid });
        } catch (err) {
          throw uniqueViolationError(err, 'nodes', {
            instance_uuid: () => new InstanceAssociated(allocation.uuid, node.uuid),
          });
        }
        if (taken !== 1) return (await this.isLocked(trx, node.id)) ? 'busy' : 'taken';
        const moved = await trx('allocations')
          .where({ id: allocation.id, state: 'allocating' })
          .update({ node_id: node.id, state: 'active', last_error: null, updated_at: new Date().toISOString() });
        if (moved !== 1) throw new ClaimUndone('gone');
        await this.changes.record(trx, [
          ...(await nodeChanges(trx, 'updated', [node.id])),
          allocationChange('updated', await this.reread(trx, allocation.id)),
        ]);
        return 'claimed';
      });
    } catch (err) {
      if (err instanceof ClaimUndone) return err.outcome;
      throw err;
    }
  }

  private async isLocked(trx: Knex.Transaction, nodeId: number): Promise<boolean> {
    const row: unknown = await trx('nodes').select('reservation').where({ id: nodeId }).first();
    return col.isRecord(row) && row.reservation !== null && row.reservation !== undefined;
  }

  /** Records the failure unless the allocation stopped waiting meanwhile (deleted, or done elsewhere). */
  async fail(id: number, error: string): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const failed = await trx('allocations')
        .where({ id, state: 'allocating' })
        .update({ state: 'error', last_error: error, updated_at: new Date().toISOString() });
      if (failed === 1) await this.changes.record(trx, [allocationChange('updated', await this.reread(trx, id))]);
    });
  }

  /** `extra` is not in the feed's view: a change of it alone records nothing. */
  async update(id: number, changes: Partial<Pick<Allocation, 'name' | 'extra'>>): Promise<Allocation> {
    try {
      await this.knex.transaction(async (trx) => {
        const updated = await trx('allocations')
          .where({ id })
          .update({ ...ALLOCATIONS.toRow(changes), updated_at: new Date().toISOString() });
        if (updated === 1) await this.changes.record(trx, [allocationChange('updated', await this.reread(trx, id))]);
      });
    } catch (err) {
      throw translate(err, changes);
    }
    return this.getById(id);
  }

  /** Deletes an allocation that holds no node; false when it took one meanwhile. */
  async deleteUnassigned(id: number): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      const [row] = await deleteReturning(trx, 'allocations', { id, node_id: null }, ALLOCATION_FEED_COLUMNS);
      if (row === undefined) return false;
      await this.changes.record(trx, [allocationRowChange('deleted', row, null)]);
      return true;
    });
  }

  /**
   * Deletes the allocation and frees its node, in one transaction. The
   * allocation's row is locked before the node's, as a node's delete locks
   * them: the other order deadlocks with it on PostgreSQL.
   */
  async delete(allocation: Allocation): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const [row] = await deleteReturning(trx, 'allocations', { id: allocation.id }, ALLOCATION_FEED_COLUMNS);
      const freed: unknown[] = await trx('nodes')
        .where({ allocation_uuid: allocation.uuid })
        .update({ allocation_uuid: null, instance_uuid: null })
        .returning([...NODE_FEED_COLUMNS]);
      await this.changes.record(trx, [
        ...freed.map((node) => nodeChange('updated', node)),
        ...(row === undefined ? [] : [allocationRowChange('deleted', row, allocation.node_uuid)]),
      ]);
    });
  }
}

/**
 * Ironic's candidate filters: available, powered, out of maintenance, with
 * no instance or allocation, of the class and owner, among the candidates,
 * holding every trait asked for.
 */
function whereFits(query: Knex.QueryBuilder, want: NodeWant): void {
  query
    .where({ provision_state: 'available', maintenance: false, resource_class: want.resourceClass })
    .whereNotNull('power_state')
    .whereNull('instance_uuid')
    .whereNull('allocation_uuid');
  // As Ironic's project filter: a node owned or leased by the allocation's owner.
  const { owner } = want;
  if (owner !== null) {
    query.where((w) => {
      w.where('owner', owner).orWhere('lessee', owner);
    });
  }
  if (want.among.length > 0) query.whereIn('uuid', want.among);
  // Traits are a JSON list of [A-Z0-9_] names: a quoted name matches exactly
  // one element once `_`, LIKE's any-character, is escaped.
  for (const trait of want.traits) {
    query.whereRaw(`traits like ? escape '\\'`, [`%"${trait.replaceAll('_', '\\_')}"%`]);
  }
}

function translate(err: unknown, a: Partial<Pick<Allocation, 'uuid' | 'name'>>): unknown {
  return uniqueViolationError(err, 'allocations', {
    name: () => new Conflict(`An allocation with name ${a.name ?? ''} already exists.`),
    uuid: () => new Conflict(`An allocation with UUID ${a.uuid ?? ''} already exists.`),
  });
}
