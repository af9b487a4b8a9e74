import type { Knex } from 'knex';
import { insertRecord, listPage, type PageRequest, type RowCodec } from '../db/index.js';
import type { VolumeItem, VolumeItemChanges } from './model.js';

export interface VolumeFilter {
  node_id?: number;
}

export interface VolumeListQuery<K extends string = string> extends PageRequest<K> {
  filter: VolumeFilter;
}

/** What differs between the connectors' table and the targets'. */
export interface VolumeTable<T extends VolumeItem> {
  codec: RowCodec<T>;
  /** How Ironic names an item in its messages: `volume connector`, `volume target`. */
  what: string;
  /** The error for an item (or a marker) that is not there. */
  notFound: new (ident: string) => Error;
  /** The domain's error for a write the database refused (a unique violation), or `err` itself. */
  translate(err: unknown, item: Partial<T>): unknown;
}

/** Rows of one volume table, each joined with its node's uuid. */
export class VolumeRepository<T extends VolumeItem> {
  private readonly table: string;
  readonly what: string;

  constructor(
    private readonly knex: Knex,
    private readonly spec: VolumeTable<T>,
  ) {
    this.table = spec.codec.table;
    this.what = spec.what;
  }

  /** The error for an item that is not there, named as the client named it. */
  missing(ident: string): Error {
    return new this.spec.notFound(ident);
  }

  private base() {
    return this.knex(this.table)
      .join('nodes', 'nodes.id', `${this.table}.node_id`)
      .select(`${this.table}.*`, 'nodes.uuid as node_uuid');
  }

  async create(item: Omit<T, 'id' | 'node_uuid'>): Promise<T> {
    // Omit<T, …> holds every stored column of T: what insertRecord writes.
    const values = item as Partial<T>;
    return this.getById(await insertRecord(this.knex, this.spec.codec, values, (e) => this.spec.translate(e, values)));
  }

  async getById(id: number): Promise<T> {
    const row: unknown = await this.base().where(`${this.table}.id`, id).first();
    return this.spec.codec.fromFound(row, () => this.missing(String(id)));
  }

  async findByUuid(uuid: string): Promise<T | null> {
    return this.spec.codec.fromFirst(await this.base().where(`${this.table}.uuid`, uuid).first());
  }

  async list(q: VolumeListQuery): Promise<T[]> {
    const query = this.base();
    if (q.filter.node_id !== undefined) query.where(`${this.table}.node_id`, q.filter.node_id);
    return listPage(this.knex, this.spec.codec, query, q, this.spec.notFound);
  }

  async update(id: number, changes: VolumeItemChanges<T>): Promise<T> {
    // Stored columns only (VolumeItemChanges leaves out what is joined or fixed).
    const values = changes as Partial<T>;
    try {
      await this.knex(this.table).where({ id }).update(this.spec.codec.toRow(values));
    } catch (err) {
      // The error names the whole item as it would have been, not only what changed.
      throw this.spec.translate(err, { ...(await this.getById(id)), ...values });
    }
    return this.getById(id);
  }

  async delete(id: number): Promise<void> {
    await this.knex(this.table).where({ id }).delete();
  }
}
