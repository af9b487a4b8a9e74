import type { Request } from 'express';
import type { ConductorRecord } from '../../services/conductor/index.js';
import type { Minor } from '../microversion.js';
import { project, type FieldVersions } from './fields.js';
import { resourceLinks } from './links.js';

/** Conductor fields, all from API 1.49 on (Ironic's api-ref). */
export const CONDUCTOR_FIELD_VERSIONS: FieldVersions = {
  hostname: 49,
  conductor_group: 49,
  alive: 49,
  drivers: 49,
  created_at: 49,
  updated_at: 49,
  links: 49,
};

/** What a list shows without `detail` or `fields` (Ironic's DEFAULT_RETURN_FIELDS). */
export const CONDUCTOR_LIST_FIELDS: readonly string[] = ['hostname', 'conductor_group', 'alive'];

/** `drivers` are the hardware types the conductor runs; `updated_at` is its last heartbeat. */
export function serializeConductor(
  c: ConductorRecord,
  drivers: readonly string[],
  req: Request,
  minor: Minor,
  only: readonly string[] | null = null,
) {
  const full: Record<string, unknown> = {
    hostname: c.hostname,
    conductor_group: c.group,
    alive: c.alive,
    drivers: [...drivers],
    created_at: c.created_at,
    updated_at: c.heartbeat_at,
    links: resourceLinks(req, 'conductors', encodeURIComponent(c.hostname)),
  };
  return project(full, CONDUCTOR_FIELD_VERSIONS, minor, only);
}
