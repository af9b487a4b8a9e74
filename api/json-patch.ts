import fastJsonPatch from 'fast-json-patch';
import { z } from 'zod';
import { InvalidParameterValue, PatchError } from '../services/errors.js';
import { hasSensitive, isSensitiveKey, maskSecrets } from '../services/secrets/index.js';
import { checkJsonDepth } from './json-body.js';
import type { Minor } from './microversion.js';
import { requireFieldVersion, type FieldVersions } from './serializers/fields.js';
import { parseInput } from './validation.js';

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
type Operation = JsonPatch[number];

export interface PatchRules<S extends z.ZodType> {
  /** Top-level attributes a patch may touch. */
  patchable: readonly string[];
  /** Every attribute of the resource, with the version it appeared in. */
  versions: FieldVersions;
  /** Attributes that may be replaced but never removed. */
  mandatory: readonly string[];
  /** What a removed top-level attribute becomes. */
  removedValue: (field: string) => unknown;
  /**
   * Where the resource keeps secrets (sealed at rest, shown as `******`): the
   * top-level attributes whose sensitive keys (services/secrets) hold them,
   * each with the keys it masks besides those (a node's instance_info masks
   * `image_url`). `{}` when the resource keeps none.
   */
  secrets: Readonly<Record<string, readonly string[]>>;
  /** What the patched document must be, and its name in an error. */
  schema: S;
  what: string;
}

/**
 * Applies an RFC 6902 patch with Ironic's rules on top: only allow-listed
 * root attributes, no new root attributes, a removed root attribute returns
 * to its default, and any failing operation fails the whole patch. Returns
 * the patched document as `rules.schema` reads it.
 *
 * Secrets are write-only here as everywhere else: a patch may add, replace or
 * remove one whole, but never read one. A secret, something inside one, or
 * an object holding one is never the `from` of a copy or a move, nor the
 * path of a test (whose failure would tell the value); nothing is written
 * inside a secret. A move is refused like a copy, since it shows the value at
 * its new place; the client sets the secret again with add or replace instead.
 * No error message shows a value from the document.
 */
export function applyPatch<S extends z.ZodType>(
  doc: Record<string, unknown>,
  ops: JsonPatch,
  rules: PatchRules<S>,
  minor: Minor,
): z.output<S> {
  const prepared = ops.map((op): Operation => {
    for (const path of [op.path, op.from].filter((p): p is string => p !== undefined)) {
      checkRoot(path, op.op, rules, minor, op.from === path);
    }
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) {
      throw new PatchError(`The "${op.op}" operation on ${op.path} needs a value.`);
    }
    checkSecretNames(op, rules.secrets);
    const isRoot = op.path.split('/').length === 2;
    if (op.op === 'remove' && isRoot) {
      const field = rootOf(op.path);
      return { op: 'replace' as const, path: op.path, value: rules.removedValue(field) };
    }
    return op;
  });
  let patched = structuredClone(doc);
  prepared.forEach((op, index) => {
    // Against the document as the earlier operations left it: they may have moved things.
    checkSecretContents(op, patched, rules.secrets);
    try {
      patched = fastJsonPatch.applyOperation(
        patched,
        op as fastJsonPatch.Operation,
        true,
        true,
        true,
        index,
      ).newDocument;
    } catch (err) {
      throw new PatchError(`Couldn't apply patch: ${op.op} ${op.path}: ${describe(err)}`);
    }
  });
  // Each patch is bounded by the body's depth, but patches one under another are not: the result is.
  checkJsonDepth(patched, `The patched ${rules.what}`);
  return validated(patched, rules);
}

function rootOf(path: string): string {
  return decodePointer(path.split('/')[1] ?? '');
}

function checkRoot<S extends z.ZodType>(
  path: string,
  op: string,
  rules: PatchRules<S>,
  minor: Minor,
  isFrom: boolean,
): void {
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

type Secrets = PatchRules<z.ZodType>['secrets'];

/** The keys masked under a top-level attribute, or null where it keeps no secrets. */
function secretKeysOf(root: string, secrets: Secrets): readonly string[] | null {
  return Object.hasOwn(secrets, root) ? (secrets[root] ?? null) : null;
}

/** Whether `path` is a secret or inside one, by its key names alone. */
function secretByName(path: string, secrets: Secrets): 'at' | 'inside' | null {
  const [root = '', ...keys] = path.split('/').slice(1).map(decodePointer);
  const extra = secretKeysOf(root, secrets);
  if (extra === null) return null;
  const i = keys.findIndex((k) => isSensitiveKey(k) || extra.includes(k));
  if (i === -1) return null;
  return i === keys.length - 1 ? 'at' : 'inside';
}

const SECRETS_ARE_WRITE_ONLY = 'A secret can only be added, replaced or removed whole.';

function refuse(what: string, where: 'at' | 'inside'): never {
  const reason = where === 'at' ? 'it holds a secret' : 'it is inside a secret';
  throw new PatchError(`Cannot ${what}: ${reason}. ${SECRETS_ARE_WRITE_ONLY}`);
}

/** The refusals that the paths' key names decide, before anything is applied. */
function checkSecretNames(op: Operation, secrets: Secrets): void {
  if (op.from !== undefined) {
    const from = secretByName(op.from, secrets);
    if (from !== null) refuse(`${op.op} from ${op.from}`, from);
  }
  const at = secretByName(op.path, secrets);
  if (op.op === 'test' && at !== null) refuse(`test ${op.path}`, at);
  if (at === 'inside')
    refuse(op.op === 'copy' || op.op === 'move' ? `${op.op} to ${op.path}` : `${op.op} ${op.path}`, at);
}

/** The refusals that depend on what the document holds: an object with a secret somewhere inside. */
function checkSecretContents(op: Operation, doc: Record<string, unknown>, secrets: Secrets): void {
  const read = op.op === 'test' ? op.path : op.from;
  if (read === undefined || (op.op !== 'test' && op.op !== 'copy' && op.op !== 'move')) return;
  const extra = secretKeysOf(rootOf(read), secrets);
  if (extra !== null && hasSensitive(valueAt(doc, read), extra)) {
    refuse(op.op === 'test' ? `test ${read}` : `${op.op} from ${read}`, 'at');
  }
}

/** The value a JSON pointer names, or undefined where there is none. */
function valueAt(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const key of pointer.split('/').slice(1).map(decodePointer)) {
    if (Array.isArray(node)) node = /^(0|[1-9][0-9]*)$/.test(key) ? (node as unknown[])[Number(key)] : undefined;
    else if (node !== null && typeof node === 'object' && Object.hasOwn(node, key))
      node = (node as Record<string, unknown>)[key];
    else return undefined;
  }
  return node;
}

/**
 * The patched document through the resource's schema. parseInput's message
 * shows the offending value, so it is shown the document with every secret
 * masked: a client's own secret in a wrong place never comes back either.
 */
function validated<S extends z.ZodType>(patched: Record<string, unknown>, rules: PatchRules<S>): z.output<S> {
  const result = rules.schema.safeParse(patched);
  if (result.success) return result.data;
  const shown = maskSecrets(patched);
  for (const [root, extra] of Object.entries(rules.secrets)) {
    if (Object.hasOwn(shown, root)) shown[root] = maskSecrets(shown[root], extra);
  }
  parseInput(rules.schema, shown, rules.what);
  // Masked, the document is valid: what failed is a secret's own value, which stays unsaid.
  throw new InvalidParameterValue(`Invalid ${rules.what}: a secret has a value of the wrong type.`);
}

function decodePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * Why an operation failed, in words of our own: fast-json-patch's messages
 * carry the operation (its value too) and the whole document.
 */
function describe(err: unknown): string {
  if (err instanceof fastJsonPatch.JsonPatchError) {
    const what: Record<string, string> = {
      OPERATION_PATH_UNRESOLVABLE: 'the path does not exist',
      OPERATION_PATH_CANNOT_ADD: 'the path does not exist',
      OPERATION_FROM_UNRESOLVABLE: 'the "from" path does not exist',
      TEST_OPERATION_FAILED: 'the test failed',
      OPERATION_PATH_INVALID: 'the path is invalid',
      OPERATION_VALUE_REQUIRED: 'a value is required',
      OPERATION_PATH_ILLEGAL_ARRAY_INDEX: 'the array index is invalid',
      OPERATION_VALUE_OUT_OF_BOUNDS: 'the array index is out of bounds',
    };
    // The name is one of the library's fixed codes, never built from the input.
    return what[err.name] ?? err.name;
  }
  if (err instanceof TypeError && err.message.includes('__proto__')) {
    return 'a path may not go through __proto__ or constructor/prototype';
  }
  return 'the operation could not be applied';
}
