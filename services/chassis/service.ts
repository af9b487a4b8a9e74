import { randomUUID } from 'node:crypto';
import { InvalidParameterValue, ChassisNotFound } from '../errors.js';
import { isUuidLike, normalizeUuid } from '../nodes/index.js';
import type { Chassis, ChassisChanges } from './model.js';
import type { ChassisListQuery, ChassisRepository } from './repository.js';

/** What a client may set on a chassis (already shape-checked by the API). */
export type ChassisCreate = Partial<Pick<Chassis, 'uuid' | 'description' | 'extra'>>;

export const CHASSIS_PATCHABLE_FIELDS = ['description', 'extra'] as const;
export type ChassisUpdate = Partial<Pick<Chassis, (typeof CHASSIS_PATCHABLE_FIELDS)[number]>>;

export class ChassisService {
  constructor(private readonly repo: ChassisRepository) {}

  /** By uuid only: a chassis has no name. */
  async get(uuid: string): Promise<Chassis> {
    if (!isUuidLike(uuid)) throw new InvalidParameterValue(`Expected UUID for chassis_uuid: ${uuid}`);
    const chassis = await this.repo.findByUuid(normalizeUuid(uuid));
    if (!chassis) throw new ChassisNotFound(uuid);
    return chassis;
  }

  list(query: ChassisListQuery): Promise<Chassis[]> {
    return this.repo.list(query);
  }

  create(input: ChassisCreate): Promise<Chassis> {
    return this.repo.create({
      uuid: input.uuid ? normalizeUuid(input.uuid) : randomUUID(),
      description: input.description ?? null,
      extra: input.extra ?? {},
      created_at: new Date().toISOString(),
      updated_at: null,
    });
  }

  /** Writes what `update` changes; a patch that changes nothing writes nothing. */
  async update(uuid: string, compute: (chassis: Chassis) => ChassisUpdate): Promise<Chassis> {
    const chassis = await this.get(uuid);
    const update = compute(chassis);
    const changes: ChassisChanges = {};
    for (const key of CHASSIS_PATCHABLE_FIELDS) {
      const value = update[key];
      if (value !== undefined && JSON.stringify(value) !== JSON.stringify(chassis[key])) {
        (changes as Record<string, unknown>)[key] = value;
      }
    }
    if (Object.keys(changes).length === 0) return chassis;
    changes.updated_at = new Date().toISOString();
    return this.repo.update(chassis, changes);
  }

  async delete(uuid: string): Promise<void> {
    await this.repo.delete(await this.get(uuid));
  }
}
