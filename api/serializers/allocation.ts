import type { Request } from 'express';
import type { Allocation } from '../../services/allocations/index.js';
import type { Minor } from '../microversion.js';
import { project, type FieldVersions } from './fields.js';
import { resourceLinks } from './links.js';

export const ALLOCATION_FIELD_VERSIONS: FieldVersions = {
  uuid: 52,
  name: 52,
  node_uuid: 52,
  state: 52,
  last_error: 52,
  resource_class: 52,
  traits: 52,
  candidate_nodes: 52,
  extra: 52,
  created_at: 52,
  updated_at: 52,
  links: 52,
  owner: 60,
};

export function serializeAllocation(a: Allocation, req: Request, minor: Minor, only: readonly string[] | null = null) {
  const full: Record<string, unknown> = {
    uuid: a.uuid,
    name: a.name,
    node_uuid: a.node_uuid,
    state: a.state,
    last_error: a.last_error,
    resource_class: a.resource_class,
    traits: a.traits,
    candidate_nodes: a.candidate_nodes,
    extra: a.extra,
    owner: a.owner,
    created_at: a.created_at,
    updated_at: a.updated_at,
    links: resourceLinks(req, 'allocations', a.uuid),
  };
  return project(full, ALLOCATION_FIELD_VERSIONS, minor, only);
}
