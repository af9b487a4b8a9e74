import type { Knex } from 'knex';
import { col, rowCodec, uniqueViolationError } from '../db/index.js';
import { VolumeTargetAlreadyExists, VolumeTargetBootIndexAlreadyExists, VolumeTargetNotFound } from '../errors.js';
import type { VolumeTarget } from './model.js';
import { VolumeRepository } from './repository.js';

export const TARGET_SORT_KEYS = [
  'id',
  'uuid',
  'node_id',
  'volume_type',
  'boot_index',
  'volume_id',
  'created_at',
  'updated_at',
] as const;

const TARGETS = rowCodec<VolumeTarget>('volume_targets', {
  id: col.generatedId,
  uuid: col.text,
  node_id: col.integer,
  node_uuid: col.readOnly(col.text),
  volume_type: col.text,
  properties: col.jsonObject,
  boot_index: col.integer,
  volume_id: col.text,
  extra: col.jsonObject,
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
});

export class VolumeTargetRepository extends VolumeRepository<VolumeTarget> {
  constructor(knex: Knex) {
    super(knex, {
      codec: TARGETS,
      what: 'volume target',
      notFound: VolumeTargetNotFound,
      translate: (err, target) =>
        uniqueViolationError(err, 'volume_targets', {
          uuid: () => new VolumeTargetAlreadyExists(target.uuid ?? ''),
          // SQLite names the constraint's first column; PostgreSQL, the constraint (table_columns_unique).
          node_id: () => new VolumeTargetBootIndexAlreadyExists(target.boot_index ?? 0),
          node_id_boot_index: () => new VolumeTargetBootIndexAlreadyExists(target.boot_index ?? 0),
        }),
    });
  }
}
