import { randomUUID } from 'node:crypto';
import {
  isUuidLike,
  isValidLogicalName,
  normalizeMac,
  normalizeUuid,
  type Node,
  type NodeLocks,
  type NodeService,
  PORT_CHANGE_STATES,
} from '../nodes/index.js';
import { InvalidParameterValue, InvalidState, PortgroupNotEmpty, PortgroupNotFound } from '../errors.js';
import { checkStandaloneOff } from './membership.js';
import { DEFAULT_PORTGROUP_MODE, type Portgroup, type PortgroupChanges } from './model.js';
import type { PortgroupListQuery, PortgroupMember, PortgroupRepository } from './repository.js';

/** What a client may set at creation; null stands for the default, as Ironic reads it. */
export interface PortgroupCreate {
  node_uuid: string;
  uuid?: string | null | undefined;
  name?: string | null | undefined;
  address?: string | null | undefined;
  extra?: Portgroup['extra'] | null | undefined;
  properties?: Portgroup['properties'] | null | undefined;
  standalone_ports_supported?: boolean | null | undefined;
  mode?: string | null | undefined;
  physical_network?: string | null | undefined;
  category?: string | null | undefined;
}

export const PORTGROUP_PATCHABLE_FIELDS = [
  'address',
  'extra',
  'mode',
  'name',
  'node_uuid',
  'properties',
  'standalone_ports_supported',
  'physical_network',
  'category',
] as const;
export type PortgroupUpdate = Partial<Pick<Portgroup, (typeof PORTGROUP_PATCHABLE_FIELDS)[number]>>;

export class PortgroupService {
  constructor(
    private readonly repo: PortgroupRepository,
    private readonly nodes: NodeService,
    private readonly locks: NodeLocks,
  ) {}

  /** By uuid when `ident` looks like one, else by name: 404 when absent, 400 when neither. */
  async get(ident: string): Promise<Portgroup> {
    let found: Portgroup | null;
    if (isUuidLike(ident)) found = await this.repo.find('uuid', normalizeUuid(ident));
    else if (isValidLogicalName(ident)) found = await this.repo.find('name', ident);
    else throw new InvalidParameterValue(`Expected a logical name or UUID but received ${ident}.`);
    if (!found) throw new PortgroupNotFound(ident);
    return found;
  }

  list(query: PortgroupListQuery): Promise<Portgroup[]> {
    return this.repo.list(query);
  }

  members(group: Portgroup): Promise<PortgroupMember[]> {
    return this.repo.members(group.id);
  }

  async create(input: PortgroupCreate): Promise<Portgroup> {
    const node = await this.nodes.getNamedInBody(input.node_uuid);
    if (input.name != null && !isValidLogicalName(input.name)) {
      throw new InvalidParameterValue(`Cannot create portgroup with invalid name '${input.name}'`);
    }
    return this.repo.create({
      uuid: input.uuid ? normalizeUuid(input.uuid) : randomUUID(),
      name: input.name ?? null,
      node_id: node.id,
      address: input.address == null ? null : mac(input.address),
      extra: input.extra ?? {},
      internal_info: {},
      properties: input.properties ?? {},
      standalone_ports_supported: input.standalone_ports_supported ?? true,
      mode: input.mode || DEFAULT_PORTGROUP_MODE,
      physical_network: input.physical_network ?? null,
      category: input.category ?? null,
      created_at: new Date().toISOString(),
      updated_at: null,
    });
  }

  /** Applies a change computed from the group as stored, under its node's lock. */
  async update(ident: string, compute: (group: Portgroup) => PortgroupUpdate): Promise<Portgroup> {
    const group = await this.get(ident);
    return this.locks.withLock(group.node_id, group.node_uuid, async () => {
      const current = await this.repo.getById(group.id);
      const changes: PortgroupChanges = {};
      for (const [key, value] of Object.entries(compute(current)) as [keyof PortgroupUpdate, unknown][]) {
        if (JSON.stringify(value) === JSON.stringify(current[key])) continue;
        if (key === 'node_uuid') changes.node_id = (await this.moveTarget(current, value as string)).id;
        else if (key === 'address') changes.address = value === null ? null : mac(value as string);
        else if (key === 'name') changes.name = checkedName(current, value as string | null);
        else (changes as Record<string, unknown>)[key] = value;
      }
      if (Object.keys(changes).length === 0) return current;
      if (changes.standalone_ports_supported === false)
        checkStandaloneOff(current, await this.repo.members(current.id));
      changes.updated_at = new Date().toISOString();
      const updated = await this.repo.update(current.id, changes);
      // The group's ports follow its network, as Ironic's update_portgroup_physical_network has them.
      if ('physical_network' in changes) {
        await this.repo.setMembersPhysicalNetwork(current.id, updated.physical_network, changes.updated_at);
      }
      return updated;
    });
  }

  async delete(ident: string): Promise<void> {
    const group = await this.get(ident);
    await this.locks.withLock(group.node_id, group.node_uuid, () => this.repo.delete(group));
  }

  /** The node a group is moving to: one whose state allows it, and only while the group has no ports. */
  private async moveTarget(group: Portgroup, ident: string): Promise<Node> {
    const node = await this.nodes.getNamedInBody(ident);
    if (!PORT_CHANGE_STATES.includes(node.provision_state) && !node.maintenance) {
      throw new InvalidState(
        `Portgroup ${group.uuid} can not be associated to node ${node.uuid} unless the node is in a ` +
          `${PORT_CHANGE_STATES.join(', ')} state or in maintenance mode. Current state is '${node.provision_state}'.`,
      );
    }
    if ((await this.repo.members(group.id)).length > 0) throw new PortgroupNotEmpty(group.uuid, node.uuid);
    return node;
  }
}

function checkedName(group: Portgroup, name: string | null): string | null {
  if (name !== null && !isValidLogicalName(name)) {
    throw new InvalidParameterValue(`Portgroup ${group.uuid}: Cannot change name to invalid name '${name}'`);
  }
  return name;
}

function mac(address: string): string {
  const normalized = normalizeMac(address);
  if (normalized === null) throw new InvalidParameterValue(`Expected a MAC address but received ${address}.`);
  return normalized;
}
