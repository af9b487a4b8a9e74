import type { Request } from 'express';
import type { Chassis } from '../../services/chassis/index.js';
import type { Minor } from '../microversion.js';
import { project, type FieldVersions } from './fields.js';
import { resourceLinks } from './links.js';

/** Every chassis field has been there since 1.1. */
export const CHASSIS_FIELD_VERSIONS: FieldVersions = {
  uuid: 1,
  description: 1,
  extra: 1,
  created_at: 1,
  updated_at: 1,
  links: 1,
  nodes: 1,
};

export const CHASSIS_LIST_FIELDS = ['uuid', 'description'];

export function serializeChassis(chassis: Chassis, req: Request, minor: Minor, only: readonly string[] | null = null) {
  const full: Record<string, unknown> = {
    uuid: chassis.uuid,
    description: chassis.description,
    extra: chassis.extra,
    created_at: chassis.created_at,
    updated_at: chassis.updated_at,
    links: resourceLinks(req, 'chassis', chassis.uuid),
    nodes: resourceLinks(req, 'chassis', chassis.uuid, '/nodes'),
  };
  return project(full, CHASSIS_FIELD_VERSIONS, minor, only);
}
