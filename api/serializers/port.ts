import type { Request } from 'express';
import type { Port } from '../../services/ports/index.js';
import type { Minor } from '../microversion.js';
import { project, type FieldVersions } from './fields.js';
import { resourceLinks } from './links.js';

export const PORT_FIELD_VERSIONS: FieldVersions = {
  uuid: 1,
  address: 1,
  node_uuid: 1,
  extra: 1,
  created_at: 1,
  updated_at: 1,
  links: 1,
  internal_info: 18,
  local_link_connection: 19,
  pxe_enabled: 19,
  portgroup_uuid: 24,
  physical_network: 34,
  is_smartnic: 53,
  name: 88,
  description: 97,
  vendor: 100,
  category: 101,
};

export const PORT_LIST_FIELDS = ['uuid', 'address'];

export function serializePort(port: Port, req: Request, minor: Minor, only: readonly string[] | null = null) {
  const full: Record<string, unknown> = {
    uuid: port.uuid,
    address: port.address,
    node_uuid: port.node_uuid,
    extra: port.extra,
    internal_info: port.internal_info,
    local_link_connection: port.local_link_connection,
    pxe_enabled: port.pxe_enabled,
    portgroup_uuid: port.portgroup_uuid,
    physical_network: port.physical_network,
    is_smartnic: port.is_smartnic,
    name: port.name,
    description: port.description,
    vendor: port.vendor,
    category: port.category,
    created_at: port.created_at,
    updated_at: port.updated_at,
    links: resourceLinks(req, 'ports', port.uuid),
  };
  return project(full, PORT_FIELD_VERSIONS, minor, only);
}
