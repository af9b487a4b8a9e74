import type { Request } from 'express';
import type { Portgroup } from '../../services/portgroups/index.js';
import type { Minor } from '../microversion.js';
import { project, type FieldVersions } from './fields.js';
import { resourceLinks } from './links.js';

export const PORTGROUP_FIELD_VERSIONS: FieldVersions = {
  uuid: 23,
  name: 23,
  address: 23,
  node_uuid: 23,
  standalone_ports_supported: 23,
  internal_info: 23,
  extra: 23,
  created_at: 23,
  updated_at: 23,
  links: 23,
  ports: 23,
  mode: 26,
  properties: 26,
  physical_network: 102,
  category: 103,
};

/**
 * What a response shows: Ironic shows `mode` and `properties` at every
 * version that has port groups (they are only asked for, as `fields=` and
 * in requests, from 1.26), and clients read them there.
 */
const PORTGROUP_SHOWN_VERSIONS: FieldVersions = { ...PORTGROUP_FIELD_VERSIONS, mode: 23, properties: 23 };

export const PORTGROUP_LIST_FIELDS = ['uuid', 'address', 'name'];

export function serializePortgroup(
  group: Portgroup,
  req: Request,
  minor: Minor,
  only: readonly string[] | null = null,
) {
  const full: Record<string, unknown> = {
    uuid: group.uuid,
    name: group.name,
    address: group.address,
    node_uuid: group.node_uuid,
    standalone_ports_supported: group.standalone_ports_supported,
    internal_info: group.internal_info,
    extra: group.extra,
    mode: group.mode,
    properties: group.properties,
    physical_network: group.physical_network,
    category: group.category,
    created_at: group.created_at,
    updated_at: group.updated_at,
    links: resourceLinks(req, 'portgroups', group.uuid),
    ports: resourceLinks(req, 'portgroups', group.uuid, '/ports'),
  };
  return project(full, PORTGROUP_SHOWN_VERSIONS, minor, only);
}
