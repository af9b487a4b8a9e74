import { randomUUID } from 'node:crypto';
import {
  type NodeLocks,
  isUuidLike,
  isValidLogicalName,
  normalizeUuid,
  type JsonObject,
  type NodeService,
  checkTrait,
} from '../nodes/index.js';
import type { SortDir } from '../db/index.js';
import { AllocationNotFound, InvalidParameterValue, InvalidState, NotFound } from '../errors.js';
import type { Allocation } from './model.js';
import type { AllocationFilter, AllocationRepository, AllocationSortKey } from './repository.js';

export interface AllocationCreate {
  uuid?: string;
  name?: string | null;
  resource_class?: string | null;
  traits?: string[];
  candidate_nodes?: string[];
  extra?: JsonObject;
  owner?: string | null;
  /** Backfill: record an allocation for this node instead of choosing one. */
  node?: string;
}

/** How many matching nodes one attempt considers; they are tried in random order. */
const CANDIDATE_LIMIT = 1000;

export class AllocationService {
  constructor(
    private readonly repo: AllocationRepository,
    private readonly nodes: NodeService,
    private readonly locks: NodeLocks,
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
    if (!found) throw new AllocationNotFound(`for node ${node.uuid}`);
    return found;
  }

  list(q: { filter: AllocationFilter; sortKey: AllocationSortKey; sortDir: SortDir; limit: number; marker?: string }) {
    return this.repo.list(q);
  }

  /**
   * Creates the allocation and gives it a node at once: matching is a few
   * indexed queries, and the conditional UPDATE on the node row makes two
   * racing allocations pick different nodes.
   */
  async create(input: AllocationCreate): Promise<Allocation> {
    if (input.name !== undefined && input.name !== null && !isValidLogicalName(input.name)) {
      throw new InvalidParameterValue(
        `Cannot use the allocation name '${input.name}': only letters, digits and -._~ are allowed.`,
      );
    }
    if (!input.resource_class && input.node === undefined) {
      throw new InvalidParameterValue('Either resource_class or node must be set for an allocation.');
    }
    const traits = [...new Set(input.traits ?? [])];
    for (const t of traits) checkTrait(t);
    const among: string[] = [];
    for (const ident of input.candidate_nodes ?? []) among.push(await this.candidateUuid(ident));
    const backfill = input.node === undefined ? null : await this.nodes.get(input.node);
    const allocation = await this.repo.create({
      uuid: input.uuid ? normalizeUuid(input.uuid) : randomUUID(),
      name: input.name ?? null,
      state: 'allocating',
      last_error: null,
      resource_class: input.resource_class ?? null,
      traits,
      candidate_nodes: among,
      extra: input.extra ?? {},
      owner: input.owner ?? null,
      created_at: new Date().toISOString(),
      updated_at: null,
    });

    if (backfill) {
      if (!(await this.repo.claim(allocation, backfill.id, false))) {
        await this.repo.fail(
          allocation.id,
          `Node ${backfill.uuid} already has an allocation or an instance, or is locked.`,
        );
      }
      return this.repo.getById(allocation.id);
    }
    const candidates = shuffle(
      await this.repo.candidates(
        { resourceClass: allocation.resource_class, owner: allocation.owner, traits, among },
        CANDIDATE_LIMIT,
      ),
    );
    for (const candidate of candidates) {
      if (await this.repo.claim(allocation, candidate.id, true)) return this.repo.getById(allocation.id);
    }
    await this.repo.fail(allocation.id, noMatchMessage(allocation));
    return this.repo.getById(allocation.id);
  }

  private async candidateUuid(ident: string): Promise<string> {
    try {
      return (await this.nodes.get(ident)).uuid;
    } catch (err) {
      if (err instanceof NotFound) throw new InvalidParameterValue(`Candidate node ${ident} does not exist.`);
      throw err;
    }
  }

  async update(ident: string, changes: { name?: string | null; extra?: JsonObject }): Promise<Allocation> {
    const allocation = await this.get(ident);
    if (changes.name !== undefined && changes.name !== null && !isValidLogicalName(changes.name)) {
      throw new InvalidParameterValue(`Cannot use the allocation name '${changes.name}'.`);
    }
    return this.repo.update(allocation.id, changes);
  }

  /** Frees the node too; refused while the node is deployed and not in maintenance, as in Ironic. */
  async delete(ident: string): Promise<void> {
    const allocation = await this.get(ident);
    if (allocation.node_id === null || allocation.node_uuid === null) {
      await this.repo.delete(allocation);
      return;
    }
    const node = await this.nodes.get(allocation.node_uuid);
    if (node.provision_state === 'active' && !node.maintenance) {
      throw new InvalidState(
        `Cannot remove allocation ${allocation.uuid}: node ${node.uuid} is active; undeploy it first or set maintenance.`,
      );
    }
    await this.locks.withLock(node.id, node.uuid, () => this.repo.delete(allocation));
  }
}

function noMatchMessage(a: Allocation): string {
  const parts = [`resource class ${a.resource_class ?? '(any)'}`];
  if (a.traits.length > 0) parts.push(`traits ${a.traits.join(', ')}`);
  if (a.candidate_nodes.length > 0) parts.push(`among candidate nodes ${a.candidate_nodes.join(', ')}`);
  if (a.owner !== null) parts.push(`owner ${a.owner}`);
  return `No available nodes match the ${parts.join(' and ')}.`;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
