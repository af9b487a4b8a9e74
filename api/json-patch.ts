import fastJsonPatch from 'fast-json-patch';
import { z } from 'zod';
import { InvalidParameterValue, PatchError } from '../services/errors.js';
import type { Minor } from './microversion.js';
import { requireFieldVersion } from './serializers/fields.js';
import type { FieldVersions } from './serializers/fields.js';

/** An RFC 6902 document: a non-empty list of operations. */
export const jsonPatchSchema = z
  .array(
    z
      .object({
        op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
        path: z.string().startsWith('/', 'A patch path must start with "/".'),
        value: z.unknown().optional(),
        from: z.string().startsWith('/').optional(),
      })
      .strict(),
  )
  .min(1, 'A patch needs at least one operation.');

export type JsonPatch = z.output<typeof jsonPatchSchema>;

export interface PatchRules {
  /** Top-level attributes a patch may touch. */
  patchable: readonly string[];
  /** Every attribute of the resource, with the version it appeared in. */
  versions: FieldVersions;
  /** Attributes that may be replaced but never removed. */
  mandatory: readonly string[];
  /** What a removed top-level attribute becomes. */
  removedValue: (field: string) => unknown;
}

/**
 * Applies an RFC 6902 patch with Ironic's rules on top: only allow-listed
 * root attributes, no new root attributes, a removed root attribute returns
 * to its default, and any failing operation fails the whole patch.
 */
export function applyPatch(
  doc: Record<string, unknown>,
  ops: JsonPatch,
  rules: PatchRules,
  minor: Minor,
): Record<string, unknown> {
  const prepared = ops.map((op) => {
    for (const path of [op.path, op.from].filter((p): p is string => p !== undefined)) {
      checkRoot(path, op.op, rules, minor, op.from === path);
    }
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) {
      throw new PatchError(`The "${op.op}" operation on ${op.path} needs a value.`);
    }
    const isRoot = op.path.split('/').length === 2;
    if (op.op === 'remove' && isRoot) {
      const field = rootOf(op.path);
      return { op: 'replace' as const, path: op.path, value: rules.removedValue(field) };
    }
    return op;
  });
  try {
    const result = fastJsonPatch.applyPatch(structuredClone(doc), prepared as fastJsonPatch.Operation[], true, true);
    return result.newDocument;
  } catch (err) {
    throw new PatchError(`Couldn't apply patch: ${describe(err)}`);
  }
}

function rootOf(path: string): string {
  return decodePointer(path.split('/')[1] ?? '');
}

function checkRoot(path: string, op: string, rules: PatchRules, minor: Minor, isFrom: boolean): void {
  const root = rootOf(path);
  if (root === '') throw new PatchError(`The path ${path} does not name an attribute.`);
  if (rules.versions[root] === undefined) {
    if (op === 'add' && !isFrom) {
      throw new PatchError(`Adding a new attribute (/${root}) to the root of the resource is not allowed.`);
    }
    throw new PatchError(`Can't ${op} non-existent attribute '/${root}'.`);
  }
  requireFieldVersion(root, rules.versions, minor);
  if (!rules.patchable.includes(root)) {
    throw new InvalidParameterValue(`'/${root}' is an internal attribute and can not be updated`);
  }
  if (op === 'remove' && path.split('/').length === 2 && rules.mandatory.includes(root)) {
    throw new InvalidParameterValue(`'/${root}' is a mandatory attribute and can not be removed`);
  }
}

function decodePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function describe(err: unknown): string {
  if (err instanceof fastJsonPatch.JsonPatchError) {
    const op = err.operation as { op?: string; path?: string } | undefined;
    const what: Record<string, string> = {
      OPERATION_PATH_UNRESOLVABLE: 'the path does not exist',
      OPERATION_FROM_UNRESOLVABLE: 'the "from" path does not exist',
      TEST_OPERATION_FAILED: 'the test failed',
      OPERATION_PATH_INVALID: 'the path is invalid',
      OPERATION_VALUE_REQUIRED: 'a value is required',
      OPERATION_PATH_ILLEGAL_ARRAY_INDEX: 'the array index is invalid',
      OPERATION_VALUE_OUT_OF_BOUNDS: 'the array index is out of bounds',
    };
    return `${op?.op ?? ''} ${op?.path ?? ''}: ${what[err.name] ?? err.name}`.trim();
  }
  return err instanceof Error ? err.message : String(err);
}
