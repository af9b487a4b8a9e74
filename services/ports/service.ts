import { randomUUID } from 'node:crypto';
import {
  type NodeLocks,
  isUuidLike,
  isValidLogicalName,
  normalizeMac,
  normalizeUuid,
  type Node,
  type NodeService,
  PORT_CHANGE_STATES,
} from '../nodes/index.js';
import { InvalidParameterValue, InvalidState, NotFound, PortNotFound } from '../errors.js';
import { checkMembership, checkStandalone, type Portgroup, type PortgroupService } from '../portgroups/index.js';
import type { Port, PortChanges } from './model.js';
import type { PortListQuery, PortRepository } from './repository.js';

export type PortCreate = Partial<
  Pick<
    Port,
    | 'uuid'
    | 'name'
    | 'extra'
    | 'local_link_connection'
    | 'pxe_enabled'
    | 'physical_network'
    | 'is_smartnic'
    | 'description'
    | 'vendor'
    | 'category'
  >
> & { address: string; node_uuid: string; portgroup_uuid?: string | null | undefined };

export const PORT_PATCHABLE_FIELDS = [
  'address',
  'node_uuid',
  'name',
  'extra',
  'local_link_connection',
  'pxe_enabled',
  'physical_network',
  'is_smartnic',
  'portgroup_uuid',
  'description',
  'vendor',
  'category',
] as const;
export type PortUpdate = Partial<Pick<Port, (typeof PORT_PATCHABLE_FIELDS)[number]>>;

/** What wires a port to the network: changed only where no instance uses it yet (Ironic's list). */
const CONNECTIVITY_FIELDS = ['portgroup_id', 'pxe_enabled', 'local_link_connection', 'physical_network'] as const;

export class PortService {
  constructor(
    private readonly repo: PortRepository,
    private readonly nodes: NodeService,
    private readonly locks: NodeLocks,
    private readonly portgroups: PortgroupService,
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

  /** The group a port body names: one that does not exist is bad input (400), as in Ironic. */
  private async portgroupNamed(uuid: string): Promise<Portgroup> {
    try {
      return await this.portgroups.get(uuid);
    } catch (err) {
      if (err instanceof NotFound) throw new InvalidParameterValue(err.message);
      throw err;
    }
  }

  async create(input: PortCreate): Promise<Port> {
    const node = await this.nodes.getNamedInBody(input.node_uuid);
    const now = new Date().toISOString();
    const port = {
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
      description: input.description ?? null,
      vendor: input.vendor ?? null,
      category: input.category ?? null,
      portgroup_id: null,
      created_at: now,
      updated_at: null,
    };
    if (!input.portgroup_uuid) return this.repo.create(port);
    const group = await this.portgroupNamed(input.portgroup_uuid);
    // Checked and written under the node's lock: two ports racing into one group cannot disagree.
    return this.locks.withLock(node.id, node.uuid, async () => {
      // Read again under the lock: the group may have changed (standalone ports, its node) meanwhile.
      const fresh = await this.portgroups.get(group.uuid);
      checkMembership({ id: null, ...port }, fresh, await this.portgroups.members(fresh));
      // At creation Ironic refuses only an explicit pxe_enabled=true; the default passes.
      checkStandalone(fresh, input.pxe_enabled === true, null);
      return this.repo.create({ ...port, portgroup_id: fresh.id });
    });
  }

  /** Applies a change computed from the port as stored, under its node's lock. */
  async update(ident: string, compute: (port: Port) => PortUpdate): Promise<Port> {
    const port = await this.get(ident);
    return this.locks.withLock(port.node_id, port.node_uuid, async () => {
      const current = await this.repo.getById(port.id);
      const update = compute(current);
      const changes: PortChanges = {};
      let node: Node | undefined;
      let group: Portgroup | undefined;
      for (const [key, value] of Object.entries(update) as [keyof PortUpdate, unknown][]) {
        if (JSON.stringify(value) === JSON.stringify(current[key])) continue;
        if (key === 'node_uuid') {
          node = await this.nodes.getNamedInBody(value as string);
          changes.node_id = node.id;
        } else if (key === 'portgroup_uuid') {
          group = value === null ? undefined : await this.portgroupNamed(value as string);
          changes.portgroup_id = group?.id ?? null;
        } else (changes as Record<string, unknown>)[key] = key === 'address' ? mac(value as string) : value;
      }
      if (Object.keys(changes).length === 0) return current;
      await this.checkChanges(current, changes, node ?? (await this.nodes.get(current.node_uuid)), group);
      changes.updated_at = new Date().toISOString();
      return this.repo.update(port.id, changes);
    });
  }

  /** Ironic's rules on a port change; `node` and `group` are the port's once changed. */
  private async checkChanges(current: Port, changes: PortChanges, node: Node, group?: Portgroup): Promise<void> {
    if (changes.address !== undefined && node.provision_state === 'active' && !node.maintenance) {
      throw new InvalidState(
        `Cannot update the address of port ${current.uuid}: node ${node.uuid} is active and not in maintenance.`,
      );
    }
    const rewired = CONNECTIVITY_FIELDS.some((f) => f in changes);
    if (rewired && !PORT_CHANGE_STATES.includes(node.provision_state) && !node.maintenance) {
      throw new InvalidState(
        `Port ${current.uuid} can not have any connectivity attributes (${CONNECTIVITY_FIELDS.join(', ')}) ` +
          `updated unless node ${node.uuid} is in a ${PORT_CHANGE_STATES.join(', ')} state or in maintenance ` +
          `mode. The current state is ${node.provision_state}.`,
      );
    }
    const next = { ...current, ...changes };
    if (next.portgroup_id === null) return;
    // Unchanged membership: the port is in the group it was in, which has a uuid.
    const joined = group ?? (await this.portgroups.get(current.portgroup_uuid!));
    if ('portgroup_id' in changes || 'node_id' in changes || 'physical_network' in changes) {
      checkMembership(next, joined, await this.portgroups.members(joined));
    }
    if ('portgroup_id' in changes || 'pxe_enabled' in changes) checkStandalone(joined, next.pxe_enabled, current.uuid);
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
