import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  col,
  insertRecord,
  listPage,
  rowCodec,
  uniqueViolationColumn,
  uniqueViolationError,
  type PageRequest,
} from '../db/index.js';
import { Conflict, MACAlreadyExists, PortAlreadyExists, PortNotFound } from '../errors.js';
import type { Port, PortChanges } from './model.js';

export interface PortFilter {
  node_id?: number;
  address?: string;
  portgroup_id?: number;
  /** Ports of nodes in any of these conductor groups (lower case, as nodes keep them). */
  conductor_groups?: string[];
  /** Ports whose description holds this text. */
  description_contains?: string;
}

export const PORT_SORT_KEYS = [
  'id',
  'uuid',
  'address',
  'name',
  'pxe_enabled',
  'physical_network',
  'description',
  'vendor',
  'category',
  'created_at',
  'updated_at',
] as const;
export type PortSortKey = (typeof PORT_SORT_KEYS)[number];

export interface PortListQuery extends PageRequest<PortSortKey> {
  filter: PortFilter;
}

const PORTS = rowCodec<Port>('ports', {
  id: col.generatedId,
  uuid: col.text,
  address: col.text,
  node_id: col.integer,
  node_uuid: col.readOnly(col.text),
  name: col.nullable(col.text),
  extra: col.jsonObject,
  internal_info: col.jsonObject,
  local_link_connection: col.jsonObject,
  pxe_enabled: col.boolean,
  physical_network: col.nullable(col.text),
  is_smartnic: col.boolean,
  description: col.nullable(col.text),
  vendor: col.nullable(col.text),
  category: col.nullable(col.text),
  portgroup_id: col.nullable(col.integer),
  portgroup_uuid: col.readOnly(col.nullable(col.text)),
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
});
const OWNER = PORTS.pick('node_id');

export class PortRepository {
  constructor(private readonly knex: Knex) {}

  private base() {
    return this.knex('ports')
      .join('nodes', 'nodes.id', 'ports.node_id')
      .leftJoin('portgroups', 'portgroups.id', 'ports.portgroup_id')
      .select('ports.*', 'nodes.uuid as node_uuid', 'portgroups.uuid as portgroup_uuid');
  }

  async create(port: Omit<Port, 'id' | 'node_uuid' | 'portgroup_uuid'>): Promise<Port> {
    return this.getById(await insertRecord(this.knex, PORTS, port, (err) => translate(err, port)));
  }

  async getById(id: number): Promise<Port> {
    return PORTS.fromFound(await this.base().where('ports.id', id).first(), () => new PortNotFound(String(id)));
  }

  async findByUuid(uuid: string): Promise<Port | null> {
    return PORTS.fromFirst(await this.base().where('ports.uuid', uuid).first());
  }

  async findByAddress(address: string): Promise<Port | null> {
    return PORTS.fromFirst(await this.base().where('ports.address', address).first());
  }

  async findByName(name: string): Promise<Port | null> {
    return PORTS.fromFirst(await this.base().where('ports.name', name).first());
  }

  async list(q: PortListQuery): Promise<Port[]> {
    const query = this.base();
    if (q.filter.node_id !== undefined) query.where('ports.node_id', q.filter.node_id);
    if (q.filter.address !== undefined) query.where('ports.address', q.filter.address);
    if (q.filter.portgroup_id !== undefined) query.where('ports.portgroup_id', q.filter.portgroup_id);
    if (q.filter.conductor_groups !== undefined) query.whereIn('nodes.conductor_group', q.filter.conductor_groups);
    if (q.filter.description_contains !== undefined) {
      // lower() on both sides, as for nodes: SQLite's LIKE ignores case, PostgreSQL's does not.
      query.whereRaw(`lower(ports.description) like ? escape '\\'`, [likePattern(q.filter.description_contains)]);
    }
    return listPage(this.knex, PORTS, query, q, PortNotFound);
  }

  async listForNode(nodeId: number): Promise<Port[]> {
    return PORTS.fromRows(await this.base().where('ports.node_id', nodeId).orderBy('ports.id'));
  }

  /** The MAC of the node's first PXE-enabled port, the one it network-boots from; null when none is. */
  async bootMacOf(nodeId: number): Promise<string | null> {
    const row: { address?: unknown } | undefined = await this.knex('ports')
      .where({ node_id: nodeId, pxe_enabled: true })
      .orderBy('id')
      .first('address');
    return typeof row?.address === 'string' ? row.address : null;
  }

  /**
   * Creates a port for each MAC that has none, for inspection's discovered
   * NICs; returns the MACs that are already another node's ports.
   */
  async createMissing(nodeId: number, macs: string[]): Promise<string[]> {
    const taken: string[] = [];
    for (const address of macs) {
      const existing = OWNER.fromFirst(await this.knex('ports').where({ address }).first('node_id'));
      if (existing) {
        if (existing.node_id !== nodeId) taken.push(address);
        continue;
      }
      try {
        await this.knex('ports').insert(
          PORTS.toRow({
            uuid: randomUUID(),
            address,
            node_id: nodeId,
            name: null,
            extra: {},
            internal_info: {},
            local_link_connection: {},
            pxe_enabled: true,
            physical_network: null,
            is_smartnic: false,
            description: null,
            vendor: null,
            category: null,
            created_at: new Date().toISOString(),
            updated_at: null,
          }),
        );
      } catch (err) {
        // Someone created it between the look and the insert: the constraint decided.
        if (uniqueViolationColumn(err, 'ports') !== 'address') throw err;
        const winner = OWNER.fromFirst(await this.knex('ports').where({ address }).first('node_id'));
        if (winner?.node_id !== nodeId) taken.push(address);
      }
    }
    return taken;
  }

  async update(id: number, changes: PortChanges): Promise<Port> {
    try {
      await this.knex('ports').where({ id }).update(PORTS.toRow(changes));
    } catch (err) {
      throw translate(err, changes);
    }
    return this.getById(id);
  }

  async delete(id: number): Promise<void> {
    await this.knex('ports').where({ id }).delete();
  }
}

/** `%text%` for LIKE in lower case, with the wildcards in `text` taken literally. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function translate(err: unknown, port: PortChanges & { uuid?: string }): unknown {
  return uniqueViolationError(err, 'ports', {
    address: () => new MACAlreadyExists(port.address ?? ''),
    uuid: () => new PortAlreadyExists(port.uuid ?? ''),
    name: () => new Conflict(`A port with name ${port.name ?? ''} already exists.`),
  });
}
