import { randomUUID } from 'node:crypto';
import type { SortDir } from '../db/index.js';
import {
  AllocationFailed,
  AllocationNotFound,
  InvalidParameterValue,
  InvalidState,
  NodeAssociated,
  NotFound,
} from '../errors.js';
import {
  checkTrait,
  isUuidLike,
  isValidLogicalName,
  normalizeUuid,
  type JsonObject,
  type Node,
  type NodeLocks,
  type NodeService,
} from '../nodes/index.js';
import type { Allocation } from './model.js';
import type { AllocationFilter, AllocationRepository, AllocationSortKey } from './repository.js';
import { backfillErrors, deallocationRefusal } from './rules.js';

/** A POST body: Ironic takes null for every field as if it were absent. */
export interface AllocationCreate {
  uuid?: string | null;
  name?: string | null;
  resource_class?: string | null;
  traits?: string[] | null;
  candidate_nodes?: string[] | null;
  extra?: JsonObject | null;
  owner?: string | null;
  /** Backfill: record an allocation for this deployed node instead of choosing one. */
  node?: string | null;
}

/** Where a new allocation is handed to be processed at once: this process's conductor, when it runs one. */
export interface AllocationHandOff {
  kick(allocation: Allocation): void;
}

/**
 * The API's side of allocations. A new allocation is written `allocating`
 * and answered at once; a conductor gives it a node (or an error) after, as
 * in Ironic. A backfill, which only records what is already deployed, is
 * done here and now, under the node's lock.
 */
export class AllocationService {
  constructor(
    private readonly repo: AllocationRepository,
    private readonly nodes: NodeService,
    private readonly locks: NodeLocks,
    private readonly local: AllocationHandOff | null,
  ) {}

  async get(ident: string): Promise<Allocation> {
    let found: Allocation | null;
    if (isUuidLike(ident)) found = await this.repo.find('uuid', normalizeUuid(ident));
    else if (isValidLogicalName(ident)) found = await this.repo.find('name', ident);
    else throw new InvalidParameterValue(`Expected a logical name or UUID but received ${ident}.`);
    if (!found) throw new AllocationNotFound(ident);
    return found;
  }

  async forNode(nodeIdent: string): Promise<Allocation> {
    const node = await this.nodes.get(nodeIdent);
    const found = await this.repo.find('node_id', node.id);
    if (!found) throw new NotFound(`Allocation for node ${nodeIdent} was not found`);
    return found;
  }

  list(q: { filter: AllocationFilter; sortKey: AllocationSortKey; sortDir: SortDir; limit: number; marker?: string }) {
    return this.repo.list(q);
  }

  async create(input: AllocationCreate): Promise<Allocation> {
    if (input.name && !isValidLogicalName(input.name)) {
      throw new InvalidParameterValue(`Cannot create allocation with invalid name '${input.name}'`);
    }
    const node = input.node ? await this.existingNode(input.node) : null;
    if (!input.resource_class && node === null) {
      throw new InvalidParameterValue('The resource_class field is mandatory when not backfilling');
    }
    const traits = [...new Set(input.traits ?? [])];
    for (const t of traits) checkTrait(t);
    const candidates: string[] = [];
    for (const ident of input.candidate_nodes ?? []) candidates.push((await this.existingNode(ident)).uuid);
    const fields = {
      name: input.name ?? null,
      last_error: null,
      resource_class: input.resource_class || null,
      traits,
      candidate_nodes: candidates,
      extra: input.extra ?? {},
      owner: input.owner ?? null,
      created_at: new Date().toISOString(),
      updated_at: null,
    };
    const uuid = input.uuid ? normalizeUuid(input.uuid) : null;
    if (node !== null) return this.backfill(node, uuid, fields);
    const allocation = await this.repo.create({ ...fields, uuid: uuid ?? randomUUID(), state: 'allocating' });
    this.local?.kick(allocation);
    return allocation;
  }

  /** Ironic answers 400 for a node named in a request that does not exist. */
  private async existingNode(ident: string): Promise<Node> {
    try {
      return await this.nodes.get(ident);
    } catch (err) {
      if (err instanceof NotFound) throw new InvalidParameterValue(err.message);
      throw err;
    }
  }

  /**
   * Records an active allocation for a deployed node, taking its resource
   * class when none was asked for and, without a uuid, the uuid of the
   * instance it runs. A node that does not fit is refused with every reason
   * and nothing is written.
   */
  private async backfill(
    node: Node,
    uuid: string | null,
    fields: Omit<Allocation, 'id' | 'uuid' | 'node_id' | 'node_uuid' | 'state'>,
  ): Promise<Allocation> {
    return this.locks.withLock(node.id, node.uuid, async () => {
      const fresh = await this.nodes.get(node.uuid);
      const allocation = {
        ...fields,
        uuid: uuid ?? fresh.instance_uuid ?? randomUUID(),
        resource_class: fields.resource_class ?? fresh.resource_class,
        state: 'active' as const,
      };
      const errors = backfillErrors(fresh, allocation);
      if (errors.length > 0) {
        throw new AllocationFailed(
          allocation.uuid,
          `Cannot backfill an allocation for node ${fresh.uuid}: ${errors.join('; ')}`,
        );
      }
      // Checked here so that both engines answer alike; the conditional UPDATE stays the arbiter.
      const holder = fresh.allocation_uuid ?? (fresh.instance_uuid === allocation.uuid ? null : fresh.instance_uuid);
      if (holder !== null) throw new NodeAssociated(fresh.uuid, holder);
      return this.repo.createBackfilled(allocation, fresh);
    });
  }

  async update(ident: string, changes: { name?: string | null; extra?: JsonObject }): Promise<Allocation> {
    const allocation = await this.get(ident);
    if (changes.name && !isValidLogicalName(changes.name)) {
      throw new InvalidParameterValue(`Cannot update allocation with invalid name '${changes.name}'`);
    }
    return this.repo.update(allocation.id, changes);
  }

  /** Frees the node too, under its lock; refused while the node needs it (Ironic's rules). */
  async delete(ident: string): Promise<void> {
    let allocation = await this.get(ident);
    // One without a node goes at once, unless a conductor gives it one meanwhile: it then goes as one holding a node.
    while (allocation.node_uuid === null) {
      if (await this.repo.deleteUnassigned(allocation.id)) return;
      allocation = await this.get(allocation.uuid);
    }
    const node = await this.nodes.get(allocation.node_uuid);
    const held = allocation;
    await this.locks.withLock(node.id, node.uuid, async () => {
      const refusal = deallocationRefusal(await this.nodes.get(node.uuid), held.uuid);
      if (refusal !== null) throw new InvalidState(refusal);
      await this.repo.delete(held);
    });
  }
}
