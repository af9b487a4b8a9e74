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
import { ChassisAlreadyExists, ChassisNotEmpty, ChassisNotFound } from '../errors.js';
import { NODE_CHASSIS_CONSTRAINT } from '../nodes/index.js';
import type { Chassis, ChassisChanges } from './model.js';

/** Ironic sorts chassis by any column but its JSON `extra`. */
export const CHASSIS_SORT_KEYS = ['id', 'uuid', 'description', 'created_at', 'updated_at'] as const;
export type ChassisSortKey = (typeof CHASSIS_SORT_KEYS)[number];

export type ChassisListQuery = PageRequest<ChassisSortKey>;

const CHASSIS = rowCodec<Chassis>('chassis', {
  id: col.generatedId,
  uuid: col.text,
  description: col.nullable(col.text),
  extra: col.jsonObject,
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
});

export class ChassisRepository {
  constructor(private readonly knex: Knex) {}

  async create(chassis: Omit<Chassis, 'id'>): Promise<Chassis> {
    const id = await insertRecord(this.knex, CHASSIS, chassis, (err) =>
      uniqueViolationError(err, 'chassis', { uuid: () => new ChassisAlreadyExists(chassis.uuid) }),
    );
    return this.getById(id, chassis.uuid);
  }

  private async getById(id: number, uuid: string): Promise<Chassis> {
    return CHASSIS.fromFound(await this.knex('chassis').where({ id }).first(), () => new ChassisNotFound(uuid));
  }

  async findByUuid(uuid: string): Promise<Chassis | null> {
    return CHASSIS.fromFirst(await this.knex('chassis').where({ uuid }).first());
  }

  list(q: ChassisListQuery): Promise<Chassis[]> {
    return listPage(this.knex, CHASSIS, this.knex('chassis').select('*'), q, ChassisNotFound);
  }

  async update(chassis: Chassis, changes: ChassisChanges): Promise<Chassis> {
    const count = await this.knex('chassis').where({ id: chassis.id }).update(CHASSIS.toRow(changes));
    if (count === 0) throw new ChassisNotFound(chassis.uuid);
    return this.getById(chassis.id, chassis.uuid);
  }

  /** The database refuses to delete a chassis that nodes still name. */
  async delete(chassis: Chassis): Promise<void> {
    let count: number;
    try {
      count = await this.knex('chassis').where({ id: chassis.id }).delete();
    } catch (err) {
      // Only nodes reference chassis, so on SQLite too this is that constraint.
      if (isForeignKeyViolation(err, NODE_CHASSIS_CONSTRAINT)) throw new ChassisNotEmpty(chassis.uuid);
      throw err;
    }
    if (count === 0) throw new ChassisNotFound(chassis.uuid);
  }
}
