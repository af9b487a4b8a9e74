import type { Request } from 'express';
import type { SortDir } from '../services/db/index.js';
import { InvalidParameterValue } from '../services/errors.js';
import { isUuidLike, normalizeUuid } from '../services/nodes/index.js';
import { baseUrl } from './serializers/links.js';
import { asText, queryString } from './validation.js';

export interface Page<K extends string> {
  limit: number;
  marker?: string;
  sortKey: K;
  sortDir: SortDir;
}

/**
 * `limit`, `marker`, `sort_key`, `sort_dir` as Ironic validates them. A
 * marker is a uuid, except for collections keyed by name (conductors, by hostname).
 */
export function parsePage<K extends string>(
  req: Request,
  sortKeys: readonly K[],
  maxLimit: number,
  markerKind: 'uuid' | 'name' = 'uuid',
): Page<K> {
  const q = req.query;
  let limit = maxLimit;
  const rawLimit = queryString(q.limit);
  if (rawLimit !== undefined) {
    if (!/^-?\d+$/.test(rawLimit)) throw new InvalidParameterValue(`Invalid limit "${rawLimit}": expected an integer.`);
    const n = Number(rawLimit);
    if (n <= 0) throw new InvalidParameterValue('Limit must be positive');
    limit = Math.min(n, maxLimit);
  }
  const sortKey = (queryString(q.sort_key) ?? 'id') as K;
  if (!sortKeys.includes(sortKey)) {
    throw new InvalidParameterValue(`The sort_key value "${sortKey}" is an invalid field for sorting`);
  }
  const sortDir = (queryString(q.sort_dir) ?? 'asc').toLowerCase();
  if (sortDir !== 'asc' && sortDir !== 'desc') {
    throw new InvalidParameterValue(`Invalid sort direction: ${sortDir}. Acceptable values are 'asc' or 'desc'`);
  }
  const page: Page<K> = { limit, sortKey, sortDir };
  const marker = queryString(q.marker);
  if (marker !== undefined && markerKind === 'name') page.marker = marker;
  else if (marker !== undefined) {
    if (!isUuidLike(marker)) throw new InvalidParameterValue(`Expected a UUID for marker but received ${marker}.`);
    page.marker = normalizeUuid(marker);
  }
  return page;
}

/** The `next` link: the same query with the marker moved on, present only when the page is full. */
export function nextLink(
  req: Request,
  path: string,
  page: Page<string>,
  /** The markers of the page's items, in order: their uuids, or names where the collection is keyed by name. */
  markers: readonly string[],
): string | undefined {
  if (markers.length < page.limit) return undefined;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(req.query)) {
    if (key === 'marker' || key === 'limit') continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, asText(v));
  }
  params.set('limit', String(page.limit));
  params.set('marker', markers[markers.length - 1]!);
  return `${baseUrl(req)}/v1/${path}?${params.toString()}`;
}
