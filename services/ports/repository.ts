import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { applyKeyset, uniqueViolationColumn, type SortDir } from '../db/index.js';
import { Conflict, MACAlreadyExists, PortAlreadyExists, PortNotFound } from '../errors.js';
import { PORT_BOOLEAN_FIELDS, PORT_JSON_FIELDS, type Port, type PortChanges } from './model.js';

export interface PortFilter {
  node_id?: number;
  address?: string;
}

export const PORT_SORT_KEYS = [
  'id',
  'uuid',
  'address',
  'name',
  'pxe_enabled',
  'physical_network',
  'created_at',
  'updated_at',
] as const;
export type PortSortKey = (typeof PORT_SORT_KEYS)[number];

export interface PortListQuery {
  filter: PortFilter;
  sortKey: PortSortKey;
  sortDir: SortDir;
  limit: number;
  marker?: string;
}

type Row = Record<string, unknown>;

export class PortRepository {
  constructor(private readonly knex: Knex) {}

  private base() {
    return this.knex('ports').join('nodes', 'nodes.id', 'ports.node_id').select('ports.*', 'nodes.uuid as node_uuid');
  }

  async create(port: Omit<Port, 'id' | 'node_uuid'>): Promise<Port> {
    try {
      const [row] = await this.knex('ports').insert(toRow(port)).returning('id');
      return await this.getById((row as { id: number }).id);
    } catch (err) {
      throw translate(err, port);
    }
  }

  async getById(id: number): Promise<Port> {
    const row = await this.base().where('ports.id', id).first();
    if (!row) throw new PortNotFound(String(id));
    return fromRow(row);
  }

  async findByUuid(uuid: string): Promise<Port | null> {
    const row = await this.base().where('ports.uuid', uuid).first();
    return row ? fromRow(row) : null;
  }

  async findByAddress(address: string): Promise<Port | null> {
    const row = await this.base().where('ports.address', address).first();
    return row ? fromRow(row) : null;
  }

  async findByName(name: string): Promise<Port | null> {
    const row = await this.base().where('ports.name', name).first();
    return row ? fromRow(row) : null;
  }

  async list(q: PortListQuery): Promise<Port[]> {
    const query = this.base();
    if (q.filter.node_id !== undefined) query.where('ports.node_id', q.filter.node_id);
    if (q.filter.address !== undefined) query.where('ports.address', q.filter.address);
    let after: { value: unknown; id: number } | undefined;
    if (q.marker !== undefined) {
      const marker = await this.knex('ports').where({ uuid: q.marker }).first();
      if (!marker) throw new PortNotFound(q.marker);
      after = { value: marker[q.sortKey], id: marker.id as number };
    }
    const rows: Row[] = await applyKeyset(query, {
      table: 'ports',
      column: q.sortKey,
      dir: q.sortDir,
      limit: q.limit,
      ...(after ? { after } : {}),
    });
    return rows.map(fromRow);
  }

  async listForNode(nodeId: number): Promise<Port[]> {
    return (await this.base().where('ports.node_id', nodeId).orderBy('ports.id')).map(fromRow);
  }

  /**
   * Creates a port for each MAC that has none, for inspection's discovered
   * NICs; returns the MACs that are already another node's ports.
   */
  async createMissing(nodeId: number, macs: string[]): Promise<string[]> {
    const taken: string[] = [];
    for (const address of macs) {
      const existing = await this.knex('ports').where({ address }).first('node_id');
      if (existing) {
        if (existing.node_id !== nodeId) taken.push(address);
        continue;
      }
      try {
        await this.knex('ports').insert(
          toRow({
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
            created_at: new Date().toISOString(),
            updated_at: null,
          }),
        );
      } catch (err) {
        // Someone created it between the look and the insert: the constraint decided.
        if (uniqueViolationColumn(err, 'ports') !== 'address') throw err;
        const winner = await this.knex('ports').where({ address }).first('node_id');
        if (winner?.node_id !== nodeId) taken.push(address);
      }
    }
    return taken;
  }

  async update(id: number, changes: PortChanges): Promise<Port> {
    try {
      await this.knex('ports').where({ id }).update(toRow(changes));
    } catch (err) {
      throw translate(err, changes);
    }
    return this.getById(id);
  }

  async delete(id: number): Promise<void> {
    await this.knex('ports').where({ id }).delete();
  }
}

function toRow(port: Partial<Port>): Row {
  const row: Row = { ...port };
  for (const f of PORT_JSON_FIELDS) if (row[f] !== undefined) row[f] = JSON.stringify(row[f]);
  delete row.node_uuid;
  delete row.id;
  return row;
}

function fromRow(row: Row): Port {
  const port: Row = { ...row };
  for (const f of PORT_JSON_FIELDS) port[f] = JSON.parse(row[f] as string);
  for (const f of PORT_BOOLEAN_FIELDS) port[f] = Boolean(row[f]);
  return port as unknown as Port;
}

function translate(err: unknown, port: PortChanges & { uuid?: string }): unknown {
  switch (uniqueViolationColumn(err, 'ports')) {
    case 'address':
      return new MACAlreadyExists(port.address ?? '');
    case 'uuid':
      return new PortAlreadyExists(port.uuid ?? '');
    case 'name':
      return new Conflict(`A port with name ${port.name ?? ''} already exists.`);
    default:
      return err;
  }
}
