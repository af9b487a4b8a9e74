import { InvalidParameterValue, NotAcceptable } from '../../services/errors.js';
import type { Minor } from '../microversion.js';
import { asText } from '../validation.js';

/** Each field of a resource with the microversion that introduced it. */
export type FieldVersions = Readonly<Record<string, Minor>>;

/**
 * Parses `fields=a,b`: 400 for a field the resource does not have, 406 for one
 * newer than the request's version (Ironic's check_allowed_fields).
 */
export function parseFields(raw: unknown, versions: FieldVersions, minor: Minor): string[] | null {
  if (raw === undefined) return null;
  const text = asText(raw);
  const fields = text
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (fields.length === 0) throw new InvalidParameterValue('The fields parameter must name at least one field.');
  const unknown = fields.filter((f) => versions[f] === undefined);
  if (unknown.length > 0) throw new InvalidParameterValue(`Field(s) "${unknown.join(', ')}" are not valid`);
  const tooNew = fields.filter((f) => versions[f]! > minor);
  if (tooNew.length > 0) {
    throw new NotAcceptable(`Field(s) "${tooNew.join(', ')}" are not available in API version 1.${minor}.`);
  }
  return fields;
}

/** Drops fields newer than the request's version, then keeps `only` (plus links) when given. */
export function project(
  full: Record<string, unknown>,
  versions: FieldVersions,
  minor: Minor,
  only: readonly string[] | null,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const wanted = only ? new Set([...only, 'links']) : null;
  for (const [key, value] of Object.entries(full)) {
    const since = versions[key];
    if (since === undefined || since > minor) continue;
    if (wanted && !wanted.has(key)) continue;
    out[key] = value;
  }
  return out;
}

/** 406 when `field` is newer than the request's version. */
export function requireFieldVersion(field: string, versions: FieldVersions, minor: Minor): void {
  const since = versions[field];
  if (since !== undefined && since > minor) {
    throw new NotAcceptable(
      `The attribute ${field} requires API version 1.${since} or later; the request used 1.${minor}.`,
    );
  }
}
