import { isRecord, pythonContains, pythonRepr, typeName } from './python-values.js';

/** What a top-level attribute holds, and what it returns to when a rule deletes it. */
export interface AttributeSpec {
  kind: 'object' | 'text' | 'flag' | 'boolean';
  empty: unknown;
}

const object: AttributeSpec = { kind: 'object', empty: {} };
const text: AttributeSpec = { kind: 'text', empty: null };

/**
 * The node attributes rules may change. Ironic lets a rule set any
 * attribute; Anvil offers those whose change needs nothing more than
 * writing them (no driver or interfaces, which must be resolved together,
 * nor states, names or instance links), and refuses a rule naming another.
 */
export const NODE_ATTRIBUTES: Readonly<Record<string, AttributeSpec>> = {
  properties: object,
  extra: object,
  driver_info: object,
  instance_info: object,
  resource_class: text,
  description: text,
  owner: text,
  lessee: text,
  automated_clean: { kind: 'flag', empty: null },
};

/** The port attributes rules may change (the address and the node link stay). */
export const PORT_ATTRIBUTES: Readonly<Record<string, AttributeSpec>> = {
  extra: object,
  local_link_connection: object,
  physical_network: text,
  description: text,
  vendor: text,
  category: text,
  pxe_enabled: { kind: 'boolean', empty: true },
  is_smartnic: { kind: 'boolean', empty: false },
};

/** A change a rule cannot make, and why. */
export class AttributeError extends Error {}

/** Ironic's normalize_path: slash notation when the path has a slash, dot notation otherwise. */
export function splitPath(path: string): string[] {
  return path.includes('/') ? path.replace(/^\/+|\/+$/g, '').split('/') : path.split('.');
}

/** Why `path` names no attribute a rule may change, or null. */
export function pathProblem(path: string, specs: Readonly<Record<string, AttributeSpec>>, what: string): string | null {
  const root = splitPath(path)[0]!;
  if (Object.hasOwn(specs, root)) return null;
  return `${what} attribute '${root}' cannot be changed by a rule; these can: ${Object.keys(specs).join(', ')}`;
}

/** Why `value` cannot be the whole of attribute `name`, or null. */
export function valueProblem(name: string, spec: AttributeSpec, value: unknown): string | null {
  const fits =
    spec.kind === 'object'
      ? isRecord(value)
      : spec.kind === 'text'
        ? value === null || typeof value === 'string'
        : spec.kind === 'flag'
          ? value === null || typeof value === 'boolean'
          : typeof value === 'boolean';
  if (fits) return null;
  const wanted = { object: 'a dict', text: 'a string or None', flag: 'a boolean or None', boolean: 'a boolean' };
  return `${name} must be ${wanted[spec.kind]}, not ${typeName(value)}`;
}

function specOf(target: Record<string, unknown>, specs: Readonly<Record<string, AttributeSpec>>, root: string) {
  const spec = Object.hasOwn(specs, root) ? specs[root] : undefined;
  if (spec === undefined) throw new AttributeError(`attribute '${root}' cannot be changed by a rule`);
  return { spec, value: target[root] };
}

/** The dict holding the last part of `parts`, created on the way (Python's setdefault). */
function parentOf(base: unknown, parts: readonly string[]): Record<string, unknown> {
  if (!isRecord(base)) throw new AttributeError(`'${typeName(base)}' object has no attribute 'setdefault'`);
  let current = base;
  for (const part of parts.slice(1, -1)) {
    if (!Object.hasOwn(current, part)) current[part] = {};
    const next = current[part];
    if (!isRecord(next)) throw new AttributeError(`'${typeName(next)}' object has no attribute 'setdefault'`);
    current = next;
  }
  return current;
}

/** Sets the attribute at `parts` of `target` (a working copy, changed in place). */
export function setAt(
  target: Record<string, unknown>,
  specs: Readonly<Record<string, AttributeSpec>>,
  parts: readonly string[],
  value: unknown,
): void {
  const root = parts[0]!;
  const { spec, value: base } = specOf(target, specs, root);
  if (parts.length === 1) {
    const problem = valueProblem(root, spec, value);
    if (problem !== null) throw new AttributeError(problem);
    target[root] = structuredClone(value);
    return;
  }
  parentOf(base, parts)[parts[parts.length - 1]!] = structuredClone(value);
}

/** Appends `value` to the list at `parts` (created empty when absent); `unique` skips a value already there. */
export function extendAt(
  target: Record<string, unknown>,
  specs: Readonly<Record<string, AttributeSpec>>,
  parts: readonly string[],
  value: unknown,
  unique: boolean,
  path: string,
): void {
  const root = parts[0]!;
  const { value: base } = specOf(target, specs, root);
  let list: unknown = base;
  if (parts.length > 1) {
    const parent = parentOf(base, parts);
    const last = parts[parts.length - 1]!;
    if (!Object.hasOwn(parent, last)) parent[last] = [];
    list = parent[last];
  }
  if (!Array.isArray(list)) {
    throw new AttributeError(`Cannot extend non-list attribute ${path} with value ${pythonRepr(value)}`);
  }
  if (!unique || !pythonContains(list, value)) list.push(structuredClone(value));
}

/**
 * Deletes the attribute at `parts`; a top-level one returns to its empty
 * value. A missing key on the way is not an error, as Ironic documents.
 */
export function deleteAt(
  target: Record<string, unknown>,
  specs: Readonly<Record<string, AttributeSpec>>,
  parts: readonly string[],
): void {
  const root = parts[0]!;
  const { spec, value: base } = specOf(target, specs, root);
  if (parts.length === 1) {
    target[root] = structuredClone(spec.empty);
    return;
  }
  let current: unknown = base;
  for (const part of parts.slice(1, -1)) current = isRecord(current) ? current[part] : undefined;
  if (isRecord(current)) delete current[parts[parts.length - 1]!];
}
