import { randomUUID } from 'node:crypto';
import {
  type NodeLocks,
  isUuidLike,
  isValidLogicalName,
  normalizeMac,
  normalizeUuid,
  type Node,
  type NodeService,
} from '../nodes/index.js';
import { InvalidParameterValue, InvalidState, NotFound, PortNotFound } from '../errors.js';
import type { Port, PortChanges } from './model.js';
import type { PortListQuery, PortRepository } from './repository.js';

export type PortCreate = Partial<
  Pick<Port, 'uuid' | 'name' | 'extra' | 'local_link_connection' | 'pxe_enabled' | 'physical_network' | 'is_smartnic'>
> & { address: string; node_uuid: string };

export const PORT_PATCHABLE_FIELDS = [
  'address',
  'node_uuid',
  'name',
  'extra',
  'local_link_connection',
  'pxe_enabled',
  'physical_network',
  'is_smartnic',
] as const;
export type PortUpdate = Partial<Pick<Port, (typeof PORT_PATCHABLE_FIELDS)[number]>>;

export class PortService {
  constructor(
    private readonly repo: PortRepository,
    private readonly nodes: NodeService,
    private readonly locks: NodeLocks,
  ) {}

  async get(ident: string): Promise<Port> {
    let port: Port | null;
    if (isUuidLike(ident)) port = await this.repo.findByUuid(normalizeUuid(ident));
    else if (isValidLogicalName(ident)) port = await this.repo.findByName(ident);
    else throw new InvalidParameterValue(`Expected a logical name or UUID but received ${ident}.`);
    if (!port) throw new PortNotFound(ident);
    return port;
  }

  list(query: PortListQuery): Promise<Port[]> {
    return this.repo.list(query);
  }

  listForNode(node: Node): Promise<Port[]> {
    return this.repo.listForNode(node.id);
  }

  /** The node a port body names: one that does not exist is bad input (400), as in Ironic, not a missing resource. */
  private async nodeNamed(ident: string): Promise<Node> {
    try {
      return await this.nodes.get(ident);
    } catch (err) {
      if (err instanceof NotFound) throw new InvalidParameterValue(err.message);
      throw err;
    }
  }

  async create(input: PortCreate): Promise<Port> {
    const node = await this.nodeNamed(input.node_uuid);
    const now = new Date().toISOString();
    return this.repo.create({
      uuid: input.uuid ? normalizeUuid(input.uuid) : randomUUID(),
      address: mac(input.address),
      node_id: node.id,
      name: input.name ?? null,
      extra: input.extra ?? {},
      internal_info: {},
      local_link_connection: input.local_link_connection ?? {},
      pxe_enabled: input.pxe_enabled ?? true,
      physical_network: input.physical_network ?? null,
      is_smartnic: input.is_smartnic ?? false,
      created_at: now,
      updated_at: null,
    });
  }

  /** Applies a change computed from the port as stored, under its node's lock. */
  async update(ident: string, compute: (port: Port) => PortUpdate): Promise<Port> {
    const port = await this.get(ident);
    return this.locks.withLock(port.node_id, port.node_uuid, async () => {
      const current = await this.repo.getById(port.id);
      const update = compute(current);
      const changes: PortChanges = {};
      for (const [key, value] of Object.entries(update) as [keyof PortUpdate, unknown][]) {
        if (JSON.stringify(value) === JSON.stringify(current[key])) continue;
        if (key === 'node_uuid') changes.node_id = (await this.nodeNamed(value as string)).id;
        else (changes as Record<string, unknown>)[key] = key === 'address' ? mac(value as string) : value;
      }
      if (Object.keys(changes).length === 0) return current;
      if (changes.address !== undefined) {
        const node = await this.nodes.get(current.node_uuid);
        if (node.provision_state === 'active' && !node.maintenance) {
          throw new InvalidState(
            `Cannot update the address of port ${current.uuid}: node ${node.uuid} is active and not in maintenance.`,
          );
        }
      }
      changes.updated_at = new Date().toISOString();
      return this.repo.update(port.id, changes);
    });
  }

  async delete(ident: string): Promise<void> {
    const port = await this.get(ident);
    await this.locks.withLock(port.node_id, port.node_uuid, () => this.repo.delete(port.id));
  }
}

function mac(address: string): string {
  const normalized = normalizeMac(address);
  if (normalized === null) throw new InvalidParameterValue(`Expected a MAC address but received ${address}.`);
  return normalized;
}
