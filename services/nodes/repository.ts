import type { Knex } from 'knex';
import { POWER_STATES, TARGET_POWER_STATES } from '../../contract/index.js';
import {
  col,
  deleteReturning,
  insertRecord,
  isForeignKeyViolation,
  isPostgres,
  listPage,
  rowCodec,
  uniqueViolationError,
  type Columns,
  type RowCodec,
  type PageRequest,
  type RowsAlongside,
  updateWithRows,
} from '../db/index.js';
import {
  ChassisNotFound,
  DuplicateName,
  InvalidParameterValue,
  NodeAlreadyExists,
  NodeAssociated,
  NodeNotFound,
} from '../errors.js';
import {
  ALLOCATION_FEED_COLUMNS,
  allocationRowChange,
  ChangeRecorder,
  NODE_FEED_COLUMNS,
  nodeChange,
  touchesNodeFeed,
} from '../feed/index.js';
import { MASK, mapSensitive, type SecretBox } from '../secrets/index.js';
import { HEALTH_STATES } from './health.js';
import type { JsonObject, Node, NodeChanges } from './model.js';
import { ALL_STATES, type ProvisionState } from './states.js';

export interface NodeFilter {
  provision_state?: string;
  maintenance?: boolean;
  driver?: string;
  resource_class?: string;
  /** true: has an instance; false: has none. */
  associated?: boolean;
  instance_uuid?: string;
  instance_name?: string;
  conductor_group?: string;
  fault?: string;
  owner?: string;
  lessee?: string;
  retired?: boolean;
  chassis_uuid?: string;
  shard?: string[];
  description_contains?: string;
}

/** The foreign key that makes a node's chassis_uuid name a chassis (migration 008). */
export const NODE_CHASSIS_CONSTRAINT = 'nodes_chassis_uuid_foreign';

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

export interface NodeListQuery extends PageRequest<NodeSortKey> {
  filter: NodeFilter;
}

/**
 * Nodes in the database: JSON columns, booleans and at-rest encryption
 * handled here. Every write that changes what the change feed shows of a
 * node records it in the feed, in the same transaction.
 */
export class NodeRepository {
  private readonly rows: RowCodec<Node>;
  /** The same rows with their secrets masked, never opened: for lists, which only ever show them masked. */
  private readonly masked: RowCodec<Node>;
  private readonly columns: Columns<Node>;
  private readonly changes: ChangeRecorder;
  private readonly work: RowCodec<Pick<Node, 'id' | 'uuid' | 'conductor_group'>>;
  private readonly held: RowCodec<Pick<Node, 'id' | 'uuid' | 'reservation'>>;

  constructor(
    private readonly knex: Knex,
    secrets: SecretBox,
  ) {
    this.rows = rowCodec('nodes', nodeColumns(sealedDocument(secrets)));
    this.columns = nodeColumns(maskedDocument());
    this.masked = rowCodec('nodes', this.columns);
    this.work = this.rows.pick('id', 'uuid', 'conductor_group');
    this.held = this.rows.pick('id', 'uuid', 'reservation');
    this.changes = ChangeRecorder.of(knex);
  }

  async create(node: Omit<Node, 'id'>): Promise<Node> {
    const id = await this.knex.transaction(async (trx) => {
      const inserted = await insertRecord(trx, this.rows, node, (err) => this.translate(err, node));
      const row: unknown = await trx('nodes').select(NODE_FEED_COLUMNS).where({ id: inserted }).first();
      await this.changes.record(trx, [nodeChange('created', row)]);
      return inserted;
    });
    return this.getById(id);
  }

  async getById(id: number): Promise<Node> {
    return this.rows.fromFound(await this.knex('nodes').where({ id }).first(), () => new NodeNotFound(String(id)));
  }

  async findByUuid(uuid: string): Promise<Node | null> {
    return this.rows.fromFirst(await this.knex('nodes').where({ uuid }).first());
  }

  async findByName(name: string): Promise<Node | null> {
    return this.rows.fromFirst(await this.knex('nodes').where({ name }).first());
  }

  /** The stamp of the node with this uuid or name: four narrow columns, not the node. */
  async findStamp(by: { uuid: string } | { name: string }): Promise<NodeStamp | null> {
    const query = this.knex('nodes').select('id', 'uuid', 'conductor_group', { stamp: 'row_stamp' }).where(by);
    return STAMPS.fromFirst(await query.first());
  }

  /**
   * A page of nodes with every secret masked (`******`), as the API shows
   * them: no secret is decrypted for a list. Never write one back. Only
   * `columns` (of the ones that exist) are read and set.
   */
  async listMasked<K extends keyof Node>(q: NodeListQuery, columns: readonly K[]): Promise<Pick<Node, K>[]> {
    const { known, codec } = this.maskedColumns(columns);
    const query = this.knex('nodes').select(known);
    applyFilter(query, q.filter);
    return listPage(this.knex, codec, query, q, NodeNotFound);
  }

  /** The node with this uuid or name, masked and with only `columns`, as listMasked reads a page. */
  async findMasked<K extends keyof Node>(
    by: { uuid: string } | { name: string },
    columns: readonly K[],
  ): Promise<Pick<Node, K> | null> {
    const { known, codec } = this.maskedColumns(columns);
    return codec.fromFirst(await this.knex('nodes').select(known).where(by).first());
  }

  /** Of `columns`, the ones that exist, and the masked codec of just those. */
  private maskedColumns<K extends keyof Node>(columns: readonly K[]): { known: K[]; codec: RowCodec<Pick<Node, K>> } {
    const known = columns.filter((column) => Object.hasOwn(this.columns, column));
    return { known, codec: this.masked.pick(...known) };
  }

  /**
   * A page of nodes (as listMasked pages them) as their stamps only: what a
   * detail list needs to tell which nodes changed since it last built them.
   * The stamp is the database's (migration 021), new on every write.
   */
  async listStamps(q: NodeListQuery): Promise<NodeStamp[]> {
    const query = this.knex('nodes').select('id', 'uuid', 'conductor_group', { stamp: 'row_stamp' });
    applyFilter(query, q.filter);
    return listPage(this.knex, STAMPS, query, q, NodeNotFound);
  }

  /** Nodes by id with their secrets masked, as listMasked reads them, in no particular order. */
  async getManyMasked(ids: readonly number[]): Promise<Node[]> {
    const nodes: Node[] = [];
    // In slices: SQLite bounds a statement's parameters.
    for (let i = 0; i < ids.length; i += 500)
      nodes.push(...this.masked.fromRows(await this.knex('nodes').whereIn('id', ids.slice(i, i + 500))));
    return nodes;
  }

  /**
   * Writes `changes` and returns the node as stored, read back by the write
   * itself. `alongside` is what goes with the change (its history entries),
   * written in the same statement on PostgreSQL (updateWithRows). A write
   * the feed shows is recorded in the same transaction; one that it does not
   * (driver_internal_info, timestamps...) needs no transaction: agents'
   * heartbeats, and on PostgreSQL a step started with its history entry,
   * stay one statement.
   */
  async update(id: number, changes: NodeChanges, alongside?: RowsAlongside): Promise<Node> {
    const feed = touchesNodeFeed(changes);
    const notFound = (): NodeNotFound => new NodeNotFound(String(id));
    try {
      if (!feed && (alongside === undefined || isPostgres(this.knex)))
        return this.rows.fromFound((await this.write(this.knex, id, changes, alongside))[0], notFound);
      return await this.knex.transaction(async (trx) => {
        const rows = await this.write(trx, id, changes, alongside);
        const node = this.rows.fromFound(rows[0], notFound);
        // Last: the feed's lock is held from here to the commit (ChangeRecorder).
        if (feed) await this.changes.record(trx, [nodeChange('updated', rows[0])]);
        return node;
      });
    } catch (err) {
      throw this.translate(err, changes);
    }
  }

  private async write(db: Knex, id: number, changes: NodeChanges, alongside?: RowsAlongside): Promise<unknown[]> {
    const values = this.rows.toRow(changes);
    if (alongside !== undefined) return updateWithRows(db, 'nodes', id, values, alongside, 'node_id');
    return (await db('nodes').where({ id }).update(values).returning('*')) as unknown[];
  }

  /**
   * Deletes the node, and its allocation as the foreign key would (a node in
   * maintenance may go with one), recording both in the feed.
   */
  async delete(id: number): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const allocations = await deleteReturning(trx, 'allocations', { node_id: id }, ALLOCATION_FEED_COLUMNS);
      const [node] = await deleteReturning(trx, 'nodes', { id }, NODE_FEED_COLUMNS);
      if (node === undefined) return;
      const gone = nodeChange('deleted', node);
      await this.changes.record(trx, [
        ...allocations.map((a) => allocationRowChange('deleted', a, gone.data.uuid)),
        gone,
      ]);
    });
  }

  /** Takes the node's exclusive lock: the node as now held by `host`, or null when another holds it. */
  async reserve(id: number, host: string): Promise<Node | null> {
    const rows: unknown[] = await this.knex('nodes')
      .where({ id })
      .whereNull('reservation')
      .update({ reservation: host })
      .returning('*');
    return this.rows.fromFirst(rows[0]);
  }

  async release(id: number, host: string): Promise<void> {
    await this.knex('nodes').where({ id, reservation: host }).update({ reservation: null });
  }

  /** Nodes whose lock `host` holds: work handed to it, or left from before a restart. */
  async listReservedBy(host: string): Promise<Node[]> {
    return this.rows.fromRows(await this.knex('nodes').where({ reservation: host }).orderBy('id'));
  }

  /**
   * Unlocked nodes with work pending: a runnable provision state, a power
   * target, or one of `pendingKeys` in driver_internal_info (a console
   * change), e.g. left by a conductor that died before doing it.
   *
   * Each kind is found through an index of its own (the provision state's,
   * and migration 023's partial indexes, whose conditions these are word
   * for word), then the nodes among them that nobody holds: an OR of the
   * three would read every unlocked node and its driver_internal_info.
   */
  async listUnlockedWork(
    states: readonly ProvisionState[],
    pendingKeys: readonly string[],
    limit: number,
  ): Promise<Pick<Node, 'id' | 'uuid' | 'conductor_group'>[]> {
    const pending = (q: Knex.QueryBuilder): void => {
      q.select('id').from('nodes').whereIn('provision_state', states);
      q.unionAll((u) => {
        u.select('id').from('nodes').whereRaw('target_power_state IS NOT NULL');
      });
      // The document is JSON text on both engines; a key is `"key":` in it. A literal, not a parameter:
      // a partial index serves only a condition the planner can read.
      for (const key of pendingKeys) {
        const pattern = `%${JSON.stringify(key)}:%`.replaceAll("'", "''");
        q.unionAll((u) => {
          u.select('id').from('nodes').whereRaw(`driver_internal_info LIKE '${pattern}'`);
        });
      }
    };
    return this.work.fromRows(
      await this.knex('nodes')
        .select('id', 'uuid', 'conductor_group')
        .whereNull('reservation')
        .whereIn('id', pending)
        .orderBy('id')
        .limit(limit),
    );
  }

  /** Unlocked nodes of `drivers` matching `where`: the candidates of a periodic pass, read in full. */
  async listUnlocked(drivers: readonly string[], where: (q: Knex.QueryBuilder) => void): Promise<Node[]> {
    const query = this.knex('nodes').whereNull('reservation').whereIn('driver', drivers).orderBy('id');
    where(query);
    return this.rows.fromRows(await query);
  }

  /**
   * Frees every lock held by `hosts` (conductors that died), under their own
   * name or one of their `name:part` holders, and says which nodes were freed.
   */
  async releaseHeldBy(hosts: string[]): Promise<Pick<Node, 'id' | 'uuid' | 'reservation'>[]> {
    if (hosts.length === 0) return [];
    const held = this.held.fromRows(
      await this.knex('nodes')
        .select('id', 'uuid', 'reservation')
        .where((w) => {
          w.whereIn('reservation', hosts);
          for (const host of hosts) {
            w.orWhereRaw(`reservation like ? escape '\\'`, [`${host.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`]);
          }
        }),
    );
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

  private translate(err: unknown, node: NodeChanges & { uuid?: string }): unknown {
    // SQLite does not say which foreign key failed; only a write that names a chassis can break this one.
    if (node.chassis_uuid && isForeignKeyViolation(err, NODE_CHASSIS_CONSTRAINT)) {
      // A missing chassis is bad input for a node, as in Ironic: 400, not 404.
      return new InvalidParameterValue(new ChassisNotFound(node.chassis_uuid).message);
    }
    return uniqueViolationError(err, 'nodes', {
      uuid: () => new NodeAlreadyExists(node.uuid ?? ''),
      name: () => new DuplicateName(node.name ?? ''),
      instance_uuid: () => new NodeAssociated(node.name ?? node.uuid ?? '', node.instance_uuid ?? ''),
    });
  }
}

/**
 * A JSON document whose sensitive values (passwords, tokens) are sealed at
 * rest: sealed before it is written, opened as it is read.
 */
function sealedDocument(secrets: SecretBox): col.ColumnCodec<JsonObject> {
  return col.json('an object', col.isRecord, {
    read: (document) => mapSensitive(document, (v) => secrets.openValue(v)),
    write: (document) => mapSensitive(document, (v) => secrets.sealValue(v)),
  });
}

/** A node's identity and the stamp the database gives each version of its row. */
export interface NodeStamp {
  id: number;
  uuid: string;
  conductor_group: string;
  /** Text: PostgreSQL's bigint arrives as text, SQLite's integer as a number. */
  stamp: string;
}

const stampColumn: col.ColumnCodec<string> = {
  expected: 'an integer (or its text)',
  decode(value, column) {
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
    throw new col.RowDecodeError(`${column}: expected ${stampColumn.expected}, got ${col.describeValue(value)}`);
  },
  encode: () => {
    throw new Error('row stamps are written by the database only');
  },
};

const STAMPS = rowCodec<NodeStamp>('nodes', {
  id: col.generatedId,
  uuid: col.text,
  conductor_group: col.text,
  stamp: stampColumn,
});

/** A sealed document read for display: each sensitive value masked, not opened; it is never written. */
function maskedDocument(): col.ColumnCodec<JsonObject> {
  return col.json('an object', col.isRecord, {
    read: (document) => mapSensitive(document, () => MASK),
    write: () => {
      throw new Error('a node read with its secrets masked is never written');
    },
  });
}

function nodeColumns(sealed: col.ColumnCodec<JsonObject>): Columns<Node> {
  return {
    id: col.generatedId,
    uuid: col.text,
    name: col.nullable(col.text),
    driver: col.text,
    driver_info: sealed,
    driver_internal_info: sealed,
    instance_info: sealed,
    properties: col.jsonObject,
    extra: col.jsonObject,
    network_data: col.jsonObject,
    raid_config: col.jsonObject,
    target_raid_config: col.jsonObject,
    clean_step: col.jsonObject,
    deploy_step: col.jsonObject,
    service_step: col.jsonObject,
    traits: col.jsonStringList,
    provision_state: col.oneOf(ALL_STATES),
    target_provision_state: col.nullable(col.oneOf(ALL_STATES)),
    power_state: col.nullable(col.oneOf(POWER_STATES)),
    target_power_state: col.nullable(col.oneOf(TARGET_POWER_STATES)),
    maintenance: col.boolean,
    maintenance_reason: col.nullable(col.text),
    fault: col.nullable(col.text),
    health: col.nullable(col.oneOf(HEALTH_STATES)),
    last_error: col.nullable(col.text),
    reservation: col.nullable(col.text),
    conductor_group: col.text,
    instance_uuid: col.nullable(col.text),
    instance_name: col.nullable(col.text),
    allocation_uuid: col.nullable(col.text),
    resource_class: col.nullable(col.text),
    bios_interface: col.text,
    boot_interface: col.text,
    console_interface: col.text,
    deploy_interface: col.text,
    firmware_interface: col.text,
    inspect_interface: col.text,
    management_interface: col.text,
    network_interface: col.text,
    power_interface: col.text,
    raid_interface: col.text,
    rescue_interface: col.text,
    storage_interface: col.text,
    vendor_interface: col.text,
    automated_clean: col.nullable(col.boolean),
    protected: col.boolean,
    protected_reason: col.nullable(col.text),
    retired: col.boolean,
    retired_reason: col.nullable(col.text),
    owner: col.nullable(col.text),
    lessee: col.nullable(col.text),
    description: col.nullable(col.text),
    shard: col.nullable(col.text),
    parent_node: col.nullable(col.text),
    disable_power_off: col.boolean,
    console_enabled: col.boolean,
    boot_mode: col.nullable(col.text),
    secure_boot: col.nullable(col.boolean),
    chassis_uuid: col.nullable(col.text),
    inspection_started_at: col.nullable(col.timestamp),
    inspection_finished_at: col.nullable(col.timestamp),
    provision_updated_at: col.nullable(col.timestamp),
    created_at: col.timestamp,
    updated_at: col.nullable(col.timestamp),
  };
}

function applyFilter(query: Knex.QueryBuilder, f: NodeFilter): void {
  const equal = [
    'provision_state',
    'driver',
    'resource_class',
    'instance_uuid',
    'instance_name',
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
