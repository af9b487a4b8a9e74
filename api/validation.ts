import { z } from 'zod';
import { InvalidParameterValue } from '../services/errors.js';

/** A JSON object (not an array, not null). */
export const jsonObject = z.record(z.string(), z.unknown());

/**
 * A boolean attribute as Ironic reads one: JSON true/false, or the strings
 * "true"/"false" (any case), which python-ironicclient sends for flags such
 * as `port create --pxe-enabled false`.
 */
export const apiBoolean = z.preprocess(
  (v) => (typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v),
  z.boolean(),
);

/** Parses `input` with `schema`; the error names the attribute and what was wrong with it. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new InvalidParameterValue(`Unknown attribute(s) for ${what}: ${issue.keys.join(', ')}`);
  }
  if (issue.path.length === 0) {
    throw new InvalidParameterValue(`Invalid ${what}: ${issue.message}`);
  }
  const field = issue.path.join('/');
  const value = valueAt(input, issue.path);
  const shown = value === undefined ? '' : ` Value: ${JSON.stringify(value)}.`;
  throw new InvalidParameterValue(`Invalid input for field/attribute ${field}.${shown} ${issue.message}`);
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * A query parameter or loosely typed input as text: query values are strings,
 * or arrays of them when repeated (express's simple parser); anything else is
 * shown as JSON, never as `[object Object]`.
 */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(asText).join(',');
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === undefined) return '';
  if (value === null) return 'null';
  // An object as JSON; a function or symbol (never from a request) by its kind.
  return typeof value === 'object' ? JSON.stringify(value) : typeof value;
}

/** Query-string booleans as Ironic reads them. */
export function parseBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  const text = asText(value).toLowerCase();
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(text)) return true;
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(text)) return false;
  throw new InvalidParameterValue(`Invalid value for ${name}: "${asText(value)}". Expected a boolean.`);
}

/** A single query parameter as a string (the last one when repeated). */
export function queryString(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.length > 0 ? asText(value[value.length - 1]) : undefined;
  return asText(value);
}

/** A comma-separated query list as Ironic reads one (args.string_list): trimmed, lower case, no blanks or repeats. */
export function queryList(value: unknown): string[] {
  if (value === undefined) return [];
  const items: string[] = [];
  for (const part of asText(value).split(',')) {
    const item = part.trim().toLowerCase();
    if (item !== '' && !items.includes(item)) items.push(item);
  }
  return items;
}
