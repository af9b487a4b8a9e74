import type { Knex } from 'knex';
import {
  col,
  insertRecord,
  isForeignKeyViolation,
  listPage,
  rowCodec,
  uniqueViolationError,
  type PageRequest,
} from '../db/index.js';
import {
  PortgroupAlreadyExists,
  PortgroupDuplicateName,
  PortgroupMACAlreadyExists,
  PortgroupNotEmpty,
  PortgroupNotFound,
} from '../errors.js';
import type { Portgroup, PortgroupChanges } from './model.js';

export interface PortgroupFilter {
  node_id?: number;
  address?: string;
  /** Groups of nodes in any of these shards. */
  shards?: string[];
  /** Groups of nodes in any of these conductor groups (lower case, as nodes keep them). */
  conductor_groups?: string[];
}

/** Every column but the JSON documents, which Ironic refuses to sort by. */
export const PORTGROUP_SORT_KEYS = [
  'id',
  'uuid',
  'name',
  'address',
  'mode',
  'standalone_ports_supported',
  'physical_network',
  'category',
  'created_at',
  'updated_at',
] as const;
export type PortgroupSortKey = (typeof PORTGROUP_SORT_KEYS)[number];

export interface PortgroupListQuery extends PageRequest<PortgroupSortKey> {
  filter: PortgroupFilter;
}

/** What the rules on a group's membership read of each port in it. */
export interface PortgroupMember {
  id: number;
  uuid: string;
  pxe_enabled: boolean;
  physical_network: string | null;
}

const PORTGROUPS = rowCodec<Portgroup>('portgroups', {
  id: col.generatedId,
  uuid: col.text,
  name: col.nullable(col.text),
  node_id: col.integer,
  node_uuid: col.readOnly(col.text),
  address: col.nullable(col.text),
  extra: col.jsonObject,
  internal_info: col.jsonObject,
  properties: col.jsonObject,
  standalone_ports_supported: col.boolean,
  mode: col.text,
  physical_network: col.nullable(col.text),
  category: col.nullable(col.text),
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
});
const MEMBERS = rowCodec<PortgroupMember>('ports', {
  id: col.integer,
  uuid: col.text,
  pxe_enabled: col.boolean,
  physical_network: col.nullable(col.text),
});

export class PortgroupRepository {
  constructor(private readonly knex: Knex) {}

  private base() {
    return this.knex('portgroups')
      .join('nodes', 'nodes.id', 'portgroups.node_id')
      .select('portgroups.*', 'nodes.uuid as node_uuid');
  }

  async create(portgroup: Omit<Portgroup, 'id' | 'node_uuid'>): Promise<Portgroup> {
    return this.getById(await insertRecord(this.knex, PORTGROUPS, portgroup, (err) => translate(err, portgroup)));
  }

  async getById(id: number): Promise<Portgroup> {
    return PORTGROUPS.fromFound(
      await this.base().where('portgroups.id', id).first(),
      () => new PortgroupNotFound(String(id)),
    );
  }

  async find(column: 'uuid' | 'name', value: string): Promise<Portgroup | null> {
    return PORTGROUPS.fromFirst(await this.base().where(`portgroups.${column}`, value).first());
  }

  async list(q: PortgroupListQuery): Promise<Portgroup[]> {
    const query = this.base();
    if (q.filter.node_id !== undefined) query.where('portgroups.node_id', q.filter.node_id);
    if (q.filter.address !== undefined) query.where('portgroups.address', q.filter.address);
    if (q.filter.shards !== undefined) query.whereIn('nodes.shard', q.filter.shards);
    if (q.filter.conductor_groups !== undefined) query.whereIn('nodes.conductor_group', q.filter.conductor_groups);
    return listPage(this.knex, PORTGROUPS, query, q, PortgroupNotFound);
  }

  /** The group's ports, in the order they were made. */
  async members(id: number): Promise<PortgroupMember[]> {
    return MEMBERS.fromRows(
      await this.knex('ports')
        .where({ portgroup_id: id })
        .orderBy('id')
        .select('id', 'uuid', 'pxe_enabled', 'physical_network'),
    );
  }

  /** Puts every port of the group on `network`, as a group's ports follow its physical network. */
  async setMembersPhysicalNetwork(id: number, network: string | null, at: string): Promise<void> {
    const query = this.knex('ports').where({ portgroup_id: id });
    // Only the ports that change, as Ironic saves only those.
    if (network === null) query.whereNotNull('physical_network');
    else
      query.where((q) => {
        void q.whereNull('physical_network').orWhereNot('physical_network', network);
      });
    await query.update({ physical_network: network, updated_at: at });
  }

  async update(id: number, changes: PortgroupChanges): Promise<Portgroup> {
    try {
      await this.knex('portgroups').where({ id }).update(PORTGROUPS.toRow(changes));
    } catch (err) {
      throw translate(err, changes);
    }
    return this.getById(id);
  }

  /** The ports' reference to the group decides, so a port added meanwhile still stops the deletion. */
  async delete(portgroup: Portgroup): Promise<void> {
    try {
      await this.knex('portgroups').where({ id: portgroup.id }).delete();
    } catch (err) {
      if (isForeignKeyViolation(err, PORT_PORTGROUP_CONSTRAINT)) throw new PortgroupNotEmpty(portgroup.uuid);
      throw err;
    }
  }
}

/** knex's name for the ports' reference to their group (migration 009). */
const PORT_PORTGROUP_CONSTRAINT = 'ports_portgroup_id_foreign';

function translate(err: unknown, portgroup: PortgroupChanges & { uuid?: string }): unknown {
  return uniqueViolationError(err, 'portgroups', {
    address: () => new PortgroupMACAlreadyExists(portgroup.address ?? ''),
    uuid: () => new PortgroupAlreadyExists(portgroup.uuid ?? ''),
    name: () => new PortgroupDuplicateName(portgroup.name ?? ''),
  });
}
