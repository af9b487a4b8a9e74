import type { Request } from 'express';
import type { VolumeConnector, VolumeTarget } from '../../services/volume/index.js';
import type { Minor } from '../microversion.js';
import { project, type FieldVersions } from './fields.js';
import { baseUrl, resourceLinks } from './links.js';

/** The microversion that brought `/v1/volume`, its connectors and targets. */
export const VOLUME_MINOR: Minor = 32;

export const CONNECTOR_FIELD_VERSIONS: FieldVersions = {
  uuid: VOLUME_MINOR,
  node_uuid: VOLUME_MINOR,
  type: VOLUME_MINOR,
  connector_id: VOLUME_MINOR,
  extra: VOLUME_MINOR,
  created_at: VOLUME_MINOR,
  updated_at: VOLUME_MINOR,
  links: VOLUME_MINOR,
};

export const TARGET_FIELD_VERSIONS: FieldVersions = {
  uuid: VOLUME_MINOR,
  node_uuid: VOLUME_MINOR,
  volume_type: VOLUME_MINOR,
  properties: VOLUME_MINOR,
  boot_index: VOLUME_MINOR,
  volume_id: VOLUME_MINOR,
  extra: VOLUME_MINOR,
  created_at: VOLUME_MINOR,
  updated_at: VOLUME_MINOR,
  links: VOLUME_MINOR,
};

/** What a list shows without `detail` or `fields`, as Ironic. */
export const CONNECTOR_LIST_FIELDS = ['uuid', 'node_uuid', 'type', 'connector_id'];
export const TARGET_LIST_FIELDS = ['uuid', 'node_uuid', 'volume_type', 'boot_index', 'volume_id'];

export function serializeConnector(
  connector: VolumeConnector,
  req: Request,
  minor: Minor,
  only: readonly string[] | null = null,
) {
  const full: Record<string, unknown> = {
    uuid: connector.uuid,
    node_uuid: connector.node_uuid,
    type: connector.type,
    connector_id: connector.connector_id,
    extra: connector.extra,
    created_at: connector.created_at,
    updated_at: connector.updated_at,
    links: resourceLinks(req, 'volume/connectors', connector.uuid),
  };
  return project(full, CONNECTOR_FIELD_VERSIONS, minor, only);
}

export function serializeTarget(
  target: VolumeTarget,
  req: Request,
  minor: Minor,
  only: readonly string[] | null = null,
) {
  const full: Record<string, unknown> = {
    uuid: target.uuid,
    node_uuid: target.node_uuid,
    volume_type: target.volume_type,
    properties: target.properties,
    boot_index: target.boot_index,
    volume_id: target.volume_id,
    extra: target.extra,
    created_at: target.created_at,
    updated_at: target.updated_at,
    links: resourceLinks(req, 'volume/targets', target.uuid),
  };
  return project(full, TARGET_FIELD_VERSIONS, minor, only);
}

/** `GET /v1/volume` and `GET /v1/nodes/{node}/volume`: links to the connectors and targets. */
export function volumeDocument(req: Request, node: string | null) {
  const base = baseUrl(req);
  const path = node === null ? 'volume' : `nodes/${node}/volume`;
  const link = (suffix: string) => [
    { href: `${base}/v1/${path}/${suffix}`, rel: 'self' },
    { href: `${base}/${path}/${suffix}`, rel: 'bookmark' },
  ];
  return { links: link(''), connectors: link('connectors'), targets: link('targets') };
}
