import { randomUUID } from 'node:crypto';
import { InvalidParameterValue, InvalidStateRequested } from '../errors.js';
import { isUuidLike, normalizeUuid, type Node, type NodeLocks, type NodeService } from '../nodes/index.js';
import type {
  VolumeConnector,
  VolumeItem,
  VolumeItemChanges,
  VolumeItemCreate,
  VolumeItemUpdate,
  VolumeTarget,
} from './model.js';
import type { VolumeListQuery, VolumeRepository } from './repository.js';

/**
 * A node's volume connectors or targets. As in Ironic, one is created at any
 * time, but changed or deleted only under its node's lock and while the node
 * is powered off: a running machine may be booted from, or attached to, what
 * they describe.
 */
export class VolumeService<T extends VolumeItem> {
  constructor(
    private readonly repo: VolumeRepository<T>,
    private readonly nodes: NodeService,
    private readonly locks: NodeLocks,
  ) {}

  /** By uuid only, as Ironic: these have no names. */
  async get(ident: string): Promise<T> {
    if (!isUuidLike(ident)) throw new InvalidParameterValue(`Expected a UUID but received ${ident}.`);
    const item = await this.repo.findByUuid(normalizeUuid(ident));
    if (!item) throw this.repo.missing(ident);
    return item;
  }

  list(query: VolumeListQuery): Promise<T[]> {
    return this.repo.list(query);
  }

  async create(input: VolumeItemCreate<T>): Promise<T> {
    const { uuid, node_uuid, ...fields } = input;
    const node = await this.nodes.getNamedInBody(node_uuid);
    const item = {
      ...fields,
      uuid: uuid === undefined ? randomUUID() : normalizeUuid(uuid),
      node_id: node.id,
      created_at: new Date().toISOString(),
      updated_at: null,
    };
    // `fields` is T's own fields (VolumeItemCreate<T> less uuid and node): with these, every stored column.
    return this.repo.create(item as unknown as Omit<T, 'id' | 'node_uuid'>);
  }

  /** Applies a change computed from the item as stored, under its node's lock, while the node is off. */
  async update(ident: string, compute: (item: T) => VolumeItemUpdate<T>): Promise<T> {
    const item = await this.get(ident);
    return this.locks.withLock(item.node_id, item.node_uuid, async () => {
      const current = await this.repo.getById(item.id);
      const { node_uuid: nodeIdent, ...fields } = compute(current);
      // The node first, as Ironic does: a node that does not exist is the client's mistake, whatever the power.
      const moved = nodeIdent === undefined ? null : await this.nodes.getNamedInBody(nodeIdent);
      const action = `${this.repo.what} update`;
      requirePoweredOff(await this.nodes.get(current.node_uuid), action);
      const changes: Record<string, unknown> = {};
      if (moved !== null && moved.id !== current.node_id) {
        // The node it moves to must be off too: Ironic checks the node the item ends on.
        requirePoweredOff(moved, action);
        changes.node_id = moved.id;
      }
      for (const [key, value] of Object.entries(fields)) {
        if (JSON.stringify(value) !== JSON.stringify(current[key as keyof T])) changes[key] = value;
      }
      if (Object.keys(changes).length === 0) return current;
      changes.updated_at = new Date().toISOString();
      // The keys come from VolumeItemUpdate<T> (node_uuid turned into node_id): stored columns of T.
      return this.repo.update(item.id, changes as VolumeItemChanges<T>);
    });
  }

  async delete(ident: string): Promise<void> {
    const item = await this.get(ident);
    await this.locks.withLock(item.node_id, item.node_uuid, async () => {
      requirePoweredOff(await this.nodes.get(item.node_uuid), `${this.repo.what} deletion`);
      await this.repo.delete(item.id);
    });
  }
}

export type VolumeConnectorService = VolumeService<VolumeConnector>;
export type VolumeTargetService = VolumeService<VolumeTarget>;

/** Ironic's refusal, word for word, when a node that is not powered off would have its volumes changed. */
function requirePoweredOff(node: Node, action: string): void {
  if (node.power_state === 'power off') return;
  throw new InvalidStateRequested(
    `The requested action "${action}" can not be performed on node "${node.uuid}" while it is in state "${node.power_state ?? 'None'}".`,
  );
}
