import type { Knex } from 'knex';
import { col, rowCodec, uniqueViolationError } from '../db/index.js';
import {
  VolumeConnectorAlreadyExists,
  VolumeConnectorNotFound,
  VolumeConnectorTypeAndIdAlreadyExists,
} from '../errors.js';
import { CONNECTOR_TYPES, type VolumeConnector } from './model.js';
import { VolumeRepository } from './repository.js';

export const CONNECTOR_SORT_KEYS = [
  'id',
  'uuid',
  'node_id',
  'type',
  'connector_id',
  'created_at',
  'updated_at',
] as const;

const CONNECTORS = rowCodec<VolumeConnector>('volume_connectors', {
  id: col.generatedId,
  uuid: col.text,
  node_id: col.integer,
  node_uuid: col.readOnly(col.text),
  type: col.oneOf(CONNECTOR_TYPES),
  connector_id: col.text,
  extra: col.jsonObject,
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
});

export class VolumeConnectorRepository extends VolumeRepository<VolumeConnector> {
  constructor(knex: Knex) {
    super(knex, {
      codec: CONNECTORS,
      what: 'volume connector',
      notFound: VolumeConnectorNotFound,
      translate: (err, connector) =>
        uniqueViolationError(err, 'volume_connectors', {
          uuid: () => new VolumeConnectorAlreadyExists(connector.uuid ?? ''),
          // SQLite names the constraint's first column; PostgreSQL, the constraint (table_columns_unique).
          type: () => duplicate(connector),
          type_connector_id: () => duplicate(connector),
        }),
    });
  }
}

function duplicate(connector: Partial<VolumeConnector>): Error {
  return new VolumeConnectorTypeAndIdAlreadyExists(connector.type ?? '', connector.connector_id ?? '');
}
