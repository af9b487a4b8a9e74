import type { Knex } from 'knex';
import { applyKeyset, uniqueViolationColumn, type SortDir } from '../db/index.js';
import { DuplicateName, NodeAlreadyExists, NodeAssociated, NodeNotFound } from '../errors.js';
import { mapSensitive, type SecretBox } from '../secrets/index.js';
import { NODE_BOOLEAN_FIELDS, NODE_JSON_FIELDS, NODE_SECRET_FIELDS, type Node, type NodeChanges } from './model.js';
import type { ProvisionState } from './states.js';

export interface NodeFilter {
  provision_state?: string;
  maintenance?: boolean;
  driver?: string;
  resource_class?: string;
  /** true: has an instance; false: has none. */
  associated?: boolean;
  instance_uuid?: string;
  conductor_group?: string;
  fault?: string;
  owner?: string;
  lessee?: string;
  retired?: boolean;
  chassis_uuid?: string;
  shard?: string[];
  description_contains?: string;
}

export const NODE_SORT_KEYS = [
  'id',
  'uuid',
  'name',
  'driver',
  'provision_state',
  'power_state',
  'maintenance',
  'resource_class',
  'conductor_group',
  'instance_uuid',
  'owner',
  'lessee',
  'created_at',
  'updated_at',
  'provision_updated_at',
  'inspection_started_at',
  'inspection_finished_at',
  'fault',
  'retired',
  'shard',
] as const;
export type NodeSortKey = (typeof NODE_SORT_KEYS)[number];

export interface NodeListQuery {
  filter: NodeFilter;
  sortKey: NodeSortKey;
  sortDir: SortDir;
  limit: number;
  /** uuid of the last node of the previous page. */
  marker?: string;
}

type Row = Record<string, unknown>;

/** Nodes in the database: JSON columns, booleans and at-rest encryption handled here. */
export class NodeRepository {
  constructor(
    private readonly knex: Knex,
    private readonly secrets: SecretBox,
  ) {}

  async create(node: Omit<Node, 'id'>): Promise<Node> {
    try {
      const [row] = await this.knex('nodes').insert(this.toRow(node)).returning('id');
      return await this.getById((row as { id: number }).id);
    } catch (err) {
      throw this.translate(err, node);
    }
  }

  async getById(id: number): Promise<Node> {
    const row = await this.knex('nodes').where({ id }).first();
    if (!row) throw new NodeNotFound(String(id));
    return this.fromRow(row);
  }

  async findByUuid(uuid: string): Promise<Node | null> {
    const row = await this.knex('nodes').where({ uuid }).first();
    return row ? this.fromRow(row) : null;
  }

  async findByName(name: string): Promise<Node | null> {
    const row = await this.knex('nodes').where({ name }).first();
    return row ? this.fromRow(row) : null;
  }

  async list(q: NodeListQuery): Promise<Node[]> {
    const query = this.knex('nodes').select('*');
    applyFilter(query, q.filter);
    let after: { value: unknown; id: number } | undefined;
    if (q.marker !== undefined) {
      const marker = await this.knex('nodes').where({ uuid: q.marker }).first();
      if (!marker) throw new NodeNotFound(q.marker);
      after = { value: marker[q.sortKey], id: marker.id as number };
    }
    const rows = await applyKeyset(query, {
      column: q.sortKey,
      dir: q.sortDir,
      limit: q.limit,
      ...(after ? { after } : {}),
    });
    return rows.map((r: Row) => this.fromRow(r));
  }

  /** Writes `changes` and returns the node as stored. */
  async update(id: number, changes: NodeChanges): Promise<Node> {
    try {
      const count = await this.knex('nodes').where({ id }).update(this.toRow(changes));
      if (count === 0) throw new NodeNotFound(String(id));
    } catch (err) {
      throw this.translate(err, changes);
    }
    return this.getById(id);
  }

  async delete(id: number): Promise<void> {
    await this.knex('nodes').where({ id }).delete();
  }

  /** Takes the node's exclusive lock: true when this host now holds it. */
  async reserve(id: number, host: string): Promise<boolean> {
    const count = await this.knex('nodes').where({ id }).whereNull('reservation').update({ reservation: host });
    return count === 1;
  }

  async release(id: number, host: string): Promise<void> {
    await this.knex('nodes').where({ id, reservation: host }).update({ reservation: null });
  }

  /** Nodes whose lock `host` holds: work handed to it, or left from before a restart. */
  async listReservedBy(host: string): Promise<Node[]> {
    return (await this.knex('nodes').where({ reservation: host }).orderBy('id')).map((r: Row) => this.fromRow(r));
  }

  /** Unlocked nodes with work pending: a runnable provision state or a power target. */
  async listUnlockedWork(
    states: readonly ProvisionState[],
    limit: number,
  ): Promise<Pick<Node, 'id' | 'uuid' | 'conductor_group'>[]> {
    return this.knex('nodes')
      .select('id', 'uuid', 'conductor_group')
      .whereNull('reservation')
      .where((w) => w.whereIn('provision_state', states).orWhereNotNull('target_power_state'))
      .orderBy('id')
      .limit(limit);
  }

  /** Unlocked nodes of `drivers` matching `where`: the candidates of a periodic pass, read in full. */
  async listUnlocked(drivers: readonly string[], where: (q: Knex.QueryBuilder) => void): Promise<Node[]> {
    const query = this.knex('nodes').whereNull('reservation').whereIn('driver', drivers).orderBy('id');
    where(query);
    return (await query).map((r: Row) => this.fromRow(r));
  }

  /**
   * Frees every lock held by `hosts` (conductors that died), under their own
   * name or one of their `name:part` holders, and says which nodes were freed.
   */
  async releaseHeldBy(hosts: string[]): Promise<Pick<Node, 'id' | 'uuid' | 'reservation'>[]> {
    if (hosts.length === 0) return [];
    const held: Pick<Node, 'id' | 'uuid' | 'reservation'>[] = await this.knex('nodes')
      .select('id', 'uuid', 'reservation')
      .where((w) => {
        w.whereIn('reservation', hosts);
        for (const host of hosts) {
          w.orWhereRaw(`reservation like ? escape '\\'`, [`${host.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`]);
        }
      });
    for (const n of held)
      await this.knex('nodes').where({ id: n.id, reservation: n.reservation }).update({ reservation: null });
    return held;
  }

  async countByProvisionState(): Promise<Map<ProvisionState, number>> {
    const rows: { provision_state: ProvisionState; n: number | string }[] = await this.knex('nodes')
      .select('provision_state')
      .count({ n: '*' })
      .groupBy('provision_state');
    return new Map(rows.map((r) => [r.provision_state, Number(r.n)]));
  }

  private toRow(node: NodeChanges): Row {
    const row: Row = { ...node };
    for (const field of NODE_SECRET_FIELDS) {
      if (row[field] !== undefined) row[field] = mapSensitive(row[field], (v) => this.secrets.sealValue(v));
    }
    for (const field of NODE_JSON_FIELDS) {
      if (row[field] !== undefined) row[field] = JSON.stringify(row[field]);
    }
    delete row.id;
    return row;
  }

  private fromRow(row: Row): Node {
    const node: Row = { ...row };
    for (const field of NODE_JSON_FIELDS) node[field] = JSON.parse(row[field] as string);
    for (const field of NODE_SECRET_FIELDS) {
      node[field] = mapSensitive(node[field], (v) => this.secrets.openValue(v));
    }
    for (const field of NODE_BOOLEAN_FIELDS) {
      if (node[field] !== null) node[field] = Boolean(node[field]);
    }
    return node as unknown as Node;
  }

  private translate(err: unknown, node: NodeChanges & { uuid?: string }): unknown {
    switch (uniqueViolationColumn(err, 'nodes')) {
      case 'uuid':
        return new NodeAlreadyExists(node.uuid ?? '');
      case 'name':
        return new DuplicateName(node.name ?? '');
      case 'instance_uuid':
        return new NodeAssociated(node.name ?? node.uuid ?? '', node.instance_uuid ?? '');
      default:
        return err;
    }
  }
}

function applyFilter(query: Knex.QueryBuilder, f: NodeFilter): void {
  const equal = [
    'provision_state',
    'driver',
    'resource_class',
    'instance_uuid',
    'conductor_group',
    'fault',
    'owner',
    'lessee',
    'chassis_uuid',
  ] as const;
  for (const key of equal) {
    if (f[key] !== undefined) query.where(key, f[key]);
  }
  if (f.maintenance !== undefined) query.where('maintenance', f.maintenance);
  if (f.retired !== undefined) query.where('retired', f.retired);
  if (f.associated === true) query.whereNotNull('instance_uuid');
  if (f.associated === false) query.whereNull('instance_uuid');
  if (f.shard !== undefined) query.whereIn('shard', f.shard);
  if (f.description_contains !== undefined) {
    // lower() on both sides: SQLite's LIKE ignores case, PostgreSQL's does not.
    const pattern = `%${f.description_contains.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query.whereRaw(`lower(description) like ? escape '\\'`, [pattern]);
  }
}
