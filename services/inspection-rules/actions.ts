import { InvalidParameterValue } from '../errors.js';
import type { Logger } from '../logger.js';
import { checkTrait, normalizeMac, type Node } from '../nodes/index.js';
import type { Port } from '../ports/index.js';
import { isSensitiveKey, MASK } from '../secrets/index.js';
import { apiCallParameterProblem, callApi } from './api-call.js';
import {
  AttributeError,
  deleteAt,
  extendAt,
  NODE_ATTRIBUTES,
  pathProblem,
  PORT_ATTRIBUTES,
  setAt,
  splitPath,
  valueProblem,
  type AttributeSpec,
} from './attribute-paths.js';
import { RuleFailure } from './errors.js';
import type { LiteralArg, Signature } from './operation.js';
import { isRecord, pythonContains, PythonError, pythonStr, pythonTruthy, typeName } from './python-values.js';

/** What the actions of the rules being applied change: working copies, written once all rules have run. */
export interface RuleState {
  node: Node;
  ports: Port[];
  pluginData: Record<string, unknown>;
  /** Carries the node's and the rule's uuid. */
  log: Logger;
}

export interface RuleActionKind {
  signature: Signature;
  /** What Anvil refuses when the rule is written, rather than fail an inspection later; null when none. */
  refusal?(arg: (name: string) => LiteralArg): string | null;
  run(args: Readonly<Record<string, unknown>>, state: RuleState): void | Promise<void>;
}

const MAX_TRAITS = 50;
const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;

function stringArg(arg: (name: string) => LiteralArg, name: string): string | null {
  const { value } = arg(name);
  return typeof value === 'string' ? null : `${name} must be a string, not ${typeName(value)}`;
}

/** The create-time check of an attribute path (and, for a whole attribute, of the value set there). */
function attributeRefusal(
  arg: (name: string) => LiteralArg,
  specs: Readonly<Record<string, AttributeSpec>>,
  what: string,
  operation: 'set' | 'extend' | 'delete',
): string | null {
  const path = arg('path');
  if (typeof path.value !== 'string') return `path must be a string, not ${typeName(path.value)}`;
  if (!path.known) return null;
  const problem = pathProblem(path.value, specs, what);
  if (problem !== null) return problem;
  const parts = splitPath(path.value);
  const spec = specs[parts[0]!]!;
  if (parts.length > 1 && spec.kind !== 'object') return `${parts[0]} is not a dict: no path leads inside it`;
  if (operation === 'extend' && parts.length === 1) return `${parts[0]} is not a list: it cannot be extended`;
  if (operation === 'set' && parts.length === 1) return valueProblem(parts[0]!, spec, arg('value').value);
  return null;
}

/** Runs `change`; what it cannot do fails the action with `message` and the reason. */
function attempt(message: string, change: () => void): void {
  try {
    change();
  } catch (err) {
    if (err instanceof AttributeError || err instanceof PythonError || err instanceof InvalidParameterValue) {
      throw RuleFailure.action(`${message}: ${err.message}`);
    }
    throw err;
  }
}

/** A value as a failure shows it: masked when the path names a secret (a BMC password set by a rule). */
function shownValue(path: unknown, value: unknown): string {
  return typeof path === 'string' && splitPath(path).some(isSensitiveKey) ? MASK : pythonStr(value);
}

function path(value: unknown): string {
  if (typeof value !== 'string') throw new PythonError('TypeError', `path must be a string, not ${typeName(value)}`);
  return value;
}

/** The node as a record of its attributes, to be changed in place. */
const nodeRecord = (state: RuleState) => state.node as unknown as Record<string, unknown>;

function capabilities(state: RuleState): string {
  const current = state.node.properties.capabilities;
  if (current === undefined || current === null || current === '') return '';
  if (typeof current !== 'string') throw new PythonError('TypeError', 'capabilities must be a string');
  return current;
}

/** The node's port a rule names, by uuid (as Ironic) or by MAC address (as Ironic documents). */
function portOf(state: RuleState, id: unknown): Port {
  const text = pythonStr(id);
  const mac = normalizeMac(text);
  const port = state.ports.find((p) => p.uuid === text.toLowerCase() || (mac !== null && p.address === mac));
  if (port === undefined) throw new RuleFailure(`Port ${text} could not be found.`);
  return port;
}

/** Ports in a group share its network wiring: a rule may not set it on one of them alone. */
function checkGrouped(port: Port, parts: readonly string[]): void {
  if (port.portgroup_id !== null && (parts[0] === 'physical_network' || parts[0] === 'pxe_enabled')) {
    throw new AttributeError(`the port is in a port group, which its ${parts[0]} follows`);
  }
}

/** plugin_data keys: a dotted path, or a list of keys. */
function pluginKeys(value: unknown): string[] {
  if (typeof value === 'string') return value.split('.');
  if (Array.isArray(value)) return value.map(pythonStr);
  throw new PythonError('TypeError', `path must be a string or a list, not ${typeName(value)}`);
}

function pluginPathRefusal(arg: (name: string) => LiteralArg): string | null {
  const { value } = arg('path');
  if (typeof value === 'string' || (Array.isArray(value) && value.every((k) => typeof k === 'string'))) return null;
  return `path must be a string or a list of strings, not ${typeName(value)}`;
}

/** Ironic's update_nested_dict: the dicts on the way are created. */
function setNested(data: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let current = data;
  for (const key of keys.slice(0, -1)) {
    if (!Object.hasOwn(current, key)) current[key] = {};
    const next = current[key];
    if (!isRecord(next))
      throw new PythonError('AttributeError', `'${typeName(next)}' object has no attribute 'setdefault'`);
    current = next;
  }
  current[keys[keys.length - 1]!] = value;
}

function getNested(data: Record<string, unknown>, keys: readonly string[]): unknown {
  let current: unknown = data;
  for (const key of keys) current = isRecord(current) ? current[key] : undefined;
  return current;
}

/** Removes the value at `keys`, and the dict that held it when that leaves it empty; false when there is none. */
function unsetNested(data: Record<string, unknown>, keys: readonly string[]): boolean {
  let parent: Record<string, unknown> | null = null;
  let current = data;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (!isRecord(next)) return false;
    parent = current;
    current = next;
  }
  const last = keys[keys.length - 1]!;
  if (!Object.hasOwn(current, last)) return false;
  if (Object.keys(current).length === 1 && parent !== null) delete parent[keys[keys.length - 2]!];
  else delete current[last];
  return true;
}

const portSignature = (extra: Signature['optional'] = {}, value = true): Signature => ({
  required: value ? ['port_id', 'path', 'value'] : ['port_id', 'path'],
  optional: extra,
  formatted: value ? ['value'] : [],
});

/** Ironic's actions, in its order (what its schema lists). */
export const ACTIONS: Readonly<Record<string, RuleActionKind>> = {
  fail: {
    signature: { required: ['msg'], optional: {}, formatted: [] },
    run: ({ msg }) => {
      throw RuleFailure.inspection(pythonStr(msg));
    },
  },
  log: {
    signature: { required: ['msg'], optional: { level: 'info' }, formatted: ['msg'] },
    refusal: (arg) => {
      const { known, value } = arg('level');
      if (typeof value !== 'string') return `level must be a string, not ${typeName(value)}`;
      return known && !(LOG_LEVELS as readonly string[]).includes(value.toLowerCase())
        ? `Invalid log level: ${value}. Choose from ${LOG_LEVELS.join(', ')}`
        : null;
    },
    run: ({ msg, level }, state) => {
      const name = pythonStr(level).toLowerCase();
      if (!(LOG_LEVELS as readonly string[]).includes(name)) {
        throw RuleFailure.execution(`Invalid log level: ${name}. Choose from ${LOG_LEVELS.join(', ')}`);
      }
      const pino = { debug: 'debug', info: 'info', warning: 'warn', error: 'error', critical: 'fatal' } as const;
      state.log[pino[name as (typeof LOG_LEVELS)[number]]](pythonStr(msg));
    },
  },
  'set-attribute': {
    signature: { required: ['path', 'value'], optional: {}, formatted: ['value'] },
    refusal: (arg) => attributeRefusal(arg, NODE_ATTRIBUTES, 'Node', 'set'),
    run: (args, state) =>
      attempt(`Failed to set attribute ${pythonStr(args.path)} with value ${shownValue(args.path, args.value)}`, () =>
        setAt(nodeRecord(state), NODE_ATTRIBUTES, splitPath(path(args.path)), args.value),
      ),
  },
  'extend-attribute': {
    signature: { required: ['path', 'value'], optional: { unique: false }, formatted: ['value'] },
    refusal: (arg) => attributeRefusal(arg, NODE_ATTRIBUTES, 'Node', 'extend'),
    run: (args, state) =>
      attempt(`Failed to extend attribute ${pythonStr(args.path)}`, () => {
        const p = path(args.path);
        extendAt(nodeRecord(state), NODE_ATTRIBUTES, splitPath(p), args.value, pythonTruthy(args.unique), p);
      }),
  },
  'del-attribute': {
    signature: { required: ['path'], optional: {}, formatted: [] },
    refusal: (arg) => attributeRefusal(arg, NODE_ATTRIBUTES, 'Node', 'delete'),
    run: (args, state) =>
      attempt(`Failed to delete attribute at ${pythonStr(args.path)}`, () =>
        deleteAt(nodeRecord(state), NODE_ATTRIBUTES, splitPath(path(args.path))),
      ),
  },
  'set-capability': {
    signature: { required: ['name', 'value'], optional: {}, formatted: ['value'] },
    refusal: (arg) => stringArg(arg, 'name') ?? stringArg(arg, 'value'),
    run: ({ name, value }, state) =>
      attempt(`Failed to set capability ${pythonStr(name)}`, () => {
        if (typeof name !== 'string' || typeof value !== 'string')
          throw new PythonError('TypeError', 'sequence item: expected str instance');
        // As Ironic's add_node_capability: appended, even when the name is already there.
        const current = capabilities(state);
        const added = `${name}:${value}`;
        state.node.properties = { ...state.node.properties, capabilities: current ? `${current},${added}` : added };
      }),
  },
  'unset-capability': {
    signature: { required: ['name'], optional: {}, formatted: [] },
    refusal: (arg) => stringArg(arg, 'name'),
    run: ({ name }, state) =>
      attempt(`Failed to unset capability ${pythonStr(name)}`, () => {
        const kept = capabilities(state)
          .split(',')
          .filter((cap) => !cap.startsWith(`${pythonStr(name)}:`));
        state.node.properties = { ...state.node.properties, capabilities: kept.join(',') };
      }),
  },
  'add-trait': {
    signature: { required: ['name'], optional: {}, formatted: [] },
    refusal: (arg) => {
      const { known, value } = arg('name');
      if (typeof value !== 'string') return `name must be a string, not ${typeName(value)}`;
      if (!known) return null;
      try {
        checkTrait(value);
        return null;
      } catch (err) {
        if (err instanceof InvalidParameterValue) return err.message;
        throw err;
      }
    },
    run: ({ name }, state) =>
      attempt(`Failed to add new trait ${pythonStr(name)}`, () => {
        const trait = pythonStr(name);
        checkTrait(trait);
        if (state.node.traits.includes(trait)) return;
        if (state.node.traits.length >= MAX_TRAITS)
          throw new AttributeError(`a node can have at most ${MAX_TRAITS} traits`);
        state.node.traits = [...state.node.traits, trait];
      }),
  },
  'remove-trait': {
    signature: { required: ['name'], optional: {}, formatted: [] },
    refusal: (arg) => stringArg(arg, 'name'),
    run: ({ name }, state) => {
      const trait = pythonStr(name);
      if (!state.node.traits.includes(trait)) {
        state.log.warn(`Failed to remove trait ${trait}: Node ${state.node.uuid} doesn't have a trait ${trait}`);
        return;
      }
      state.node.traits = state.node.traits.filter((t) => t !== trait);
    },
  },
  'set-plugin-data': {
    signature: { required: ['path', 'value'], optional: {}, formatted: ['value'] },
    refusal: pluginPathRefusal,
    run: (args, state) =>
      attempt(`Failed to set plugin data at ${pythonStr(args.path)}`, () =>
        setNested(state.pluginData, pluginKeys(args.path), structuredClone(args.value)),
      ),
  },
  'extend-plugin-data': {
    signature: { required: ['path', 'value'], optional: { unique: false }, formatted: ['value'] },
    refusal: pluginPathRefusal,
    run: (args, state) =>
      attempt(`Failed to extend plugin data at ${pythonStr(args.path)}`, () => {
        const keys = pluginKeys(args.path);
        const found = getNested(state.pluginData, keys);
        const current = pythonTruthy(found) ? found : [];
        setNested(state.pluginData, keys, current);
        if (pythonTruthy(args.unique) && pythonContains(current, args.value)) return;
        if (!Array.isArray(current))
          throw new PythonError('AttributeError', `'${typeName(current)}' object has no attribute 'append'`);
        current.push(structuredClone(args.value));
      }),
  },
  'unset-plugin-data': {
    signature: { required: ['path'], optional: {}, formatted: [] },
    refusal: pluginPathRefusal,
    run: (args, state) =>
      attempt(`Failed to unset plugin data at ${pythonStr(args.path)}`, () => {
        if (!unsetNested(state.pluginData, pluginKeys(args.path)))
          state.log.warn(`Path ${pythonStr(args.path)} not found`);
      }),
  },
  'set-port-attribute': {
    signature: portSignature(),
    refusal: (arg) => stringArg(arg, 'port_id') ?? attributeRefusal(arg, PORT_ATTRIBUTES, 'Port', 'set'),
    run: (args, state) => {
      const port = portOf(state, args.port_id);
      attempt(`Failed to set attribute ${pythonStr(args.path)} for port ${pythonStr(args.port_id)}`, () => {
        const parts = splitPath(path(args.path));
        checkGrouped(port, parts);
        setAt(port as unknown as Record<string, unknown>, PORT_ATTRIBUTES, parts, args.value);
      });
    },
  },
  'extend-port-attribute': {
    signature: portSignature({ unique: false }),
    refusal: (arg) => stringArg(arg, 'port_id') ?? attributeRefusal(arg, PORT_ATTRIBUTES, 'Port', 'extend'),
    run: (args, state) => {
      const port = portOf(state, args.port_id);
      attempt(`Failed to extend attribute ${pythonStr(args.path)} for port ${pythonStr(args.port_id)}`, () => {
        const p = path(args.path);
        const target = port as unknown as Record<string, unknown>;
        extendAt(target, PORT_ATTRIBUTES, splitPath(p), args.value, pythonTruthy(args.unique), p);
      });
    },
  },
  'del-port-attribute': {
    signature: portSignature({}, false),
    refusal: (arg) => stringArg(arg, 'port_id') ?? attributeRefusal(arg, PORT_ATTRIBUTES, 'Port', 'delete'),
    run: (args, state) => {
      const port = portOf(state, args.port_id);
      attempt(`Failed to delete attribute ${pythonStr(args.path)} for port ${pythonStr(args.port_id)}`, () => {
        const parts = splitPath(path(args.path));
        checkGrouped(port, parts);
        deleteAt(port as unknown as Record<string, unknown>, PORT_ATTRIBUTES, parts);
      });
    },
  },
  'api-call': {
    signature: {
      required: ['url'],
      optional: { headers: null, proxies: null, timeout: 5, retries: 3, backoff_factor: 0.3 },
      formatted: ['url'],
    },
    refusal: (arg) => {
      const url = stringArg(arg, 'url');
      if (url !== null) return url;
      const headers = arg('headers').value;
      if (headers !== null && !(isRecord(headers) && Object.values(headers).every((v) => typeof v === 'string')))
        return 'headers must be a dict of strings';
      if (pythonTruthy(arg('proxies').value)) return 'proxies are not supported by Anvil';
      const numbers = { timeout: arg('timeout'), retries: arg('retries'), backoff_factor: arg('backoff_factor') };
      if (Object.values(numbers).some((a) => !a.known)) return null;
      const problem = apiCallParameterProblem({
        timeout: numbers.timeout.value,
        retries: numbers.retries.value,
        backoff_factor: numbers.backoff_factor.value,
      });
      return problem === null ? null : `Invalid parameter: ${problem}`;
    },
    run: (args) =>
      callApi({
        url: args.url,
        headers: args.headers,
        proxies: args.proxies,
        timeout: args.timeout,
        retries: args.retries,
        backoff_factor: args.backoff_factor,
      }),
  },
};
