import type { Request } from 'express';
import type { BiosSettingRecord } from '../../services/bios/index.js';
import { resourceLinks } from './links.js';

/** API 1.74 added the BIOS registry: `?detail` and `?fields` on the settings list, and the registry's fields. */
export const BIOS_REGISTRY_MINOR = 74;
export const BIOS_DEFAULT_FIELDS = ['name', 'value'] as const;
export const BIOS_DETAIL_FIELDS = [
  ...BIOS_DEFAULT_FIELDS,
  'attribute_type',
  'allowable_values',
  'lower_bound',
  'max_length',
  'min_length',
  'read_only',
  'reset_required',
  'unique',
  'upper_bound',
] as const;
export type BiosField = (typeof BIOS_DETAIL_FIELDS)[number];

/**
 * One BIOS setting as Ironic's API shows it: the fields asked for, with
 * created_at, updated_at and links always there (its object_to_dict).
 */
export function serializeBiosSetting(
  req: Request,
  nodeUuid: string,
  setting: BiosSettingRecord,
  fields: readonly BiosField[],
): Record<string, unknown> {
  const view: Record<string, unknown> = { created_at: setting.created_at, updated_at: setting.updated_at };
  for (const field of fields) view[field] = setting[field];
  view.links = resourceLinks(req, 'nodes', nodeUuid, `/bios/${setting.name}`);
  return view;
}
