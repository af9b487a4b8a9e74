import type { Request } from 'express';
import type { InspectionRule } from '../../services/inspection-rules/index.js';
import type { Minor } from '../microversion.js';
import { project, type FieldVersions } from './fields.js';
import { resourceLinks } from './links.js';

/** API 1.96 brought inspection rules, every field at once. */
export const INSPECTION_RULE_FIELD_VERSIONS: FieldVersions = {
  uuid: 96,
  created_at: 96,
  updated_at: 96,
  description: 96,
  priority: 96,
  sensitive: 96,
  phase: 96,
  conditions: 96,
  actions: 96,
  links: 96,
};

/** What a list shows without `detail` or `fields` (Ironic's DEFAULT_RETURN_FIELDS). */
export const INSPECTION_RULE_LIST_FIELDS = ['uuid', 'priority', 'phase', 'description'];

export function serializeInspectionRule(
  rule: InspectionRule,
  req: Request,
  minor: Minor,
  only: readonly string[] | null = null,
) {
  const full: Record<string, unknown> = {
    uuid: rule.uuid,
    created_at: rule.created_at,
    updated_at: rule.updated_at,
    description: rule.description,
    priority: rule.priority,
    sensitive: rule.sensitive,
    phase: rule.phase,
    // A sensitive rule's conditions and actions may hold credentials: never shown, as in Ironic.
    conditions: rule.sensitive ? null : rule.conditions,
    actions: rule.sensitive ? null : rule.actions,
    links: resourceLinks(req, 'inspection_rules', rule.uuid),
  };
  return project(full, INSPECTION_RULE_FIELD_VERSIONS, minor, only);
}
