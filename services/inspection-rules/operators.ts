import { BlockList, isIP } from 'node:net';
import { RuleFailure } from './errors.js';
import type { LiteralArg, Signature } from './operation.js';
import { pythonRegex, RegexError } from './python-regex.js';
import {
  pythonCompare,
  pythonContains,
  pythonEquals,
  pythonRepr,
  pythonStr,
  PythonError,
  pythonTruthy,
  typeName,
} from './python-values.js';

/** A condition's check, over arguments already formatted and completed with their defaults. */
export interface ConditionOperator {
  signature: Signature;
  /** What Anvil refuses when the rule is written, rather than fail an inspection later; null when none. */
  refusal?(arg: (name: string) => LiteralArg): string | null;
  check(args: Readonly<Record<string, unknown>>): boolean;
}

/** Ironic's SimpleOperator: every value holds against the next one. */
function comparison(name: string, holds: (a: unknown, b: unknown) => boolean): ConditionOperator {
  return {
    signature: { required: ['values'], optional: { force_strings: false }, formatted: ['values'] },
    refusal: (arg) => {
      const { value } = arg('values');
      return Array.isArray(value) ? null : `values must be a list, not ${typeName(value)}`;
    },
    check({ values, force_strings }) {
      if (!Array.isArray(values)) {
        throw RuleFailure.condition(
          `Failed to check condition: '${name}' on values: ${pythonRepr(values)}: ` +
            `Expected list for 'values', got: ${typeName(values)}`,
        );
      }
      const items = pythonTruthy(force_strings) ? values.map(pythonStr) : values;
      return items.slice(1).every((v, i) => holds(items[i], v));
    },
  };
}

const single = (formatted = ['value']): Signature => ({ required: ['value'], optional: {}, formatted });

const regexSignature: Signature = { required: ['value', 'regex'], optional: {}, formatted: ['value'] };

function regexRefusal(arg: (name: string) => LiteralArg, anchored: boolean): string | null {
  const { known, value } = arg('regex');
  if (typeof value !== 'string') return `regex must be a string, not ${typeName(value)}`;
  if (anchored && value === '') return 'regex must not be empty';
  if (!known) return null;
  try {
    pythonRegex(value, 'search');
    return null;
  } catch (err) {
    if (err instanceof RegexError) return `invalid regular expression: ${err.message}`;
    throw err;
  }
}

function regexCheck(value: unknown, regex: unknown, anchored: boolean): boolean {
  if (typeof regex !== 'string')
    throw new PythonError('TypeError', 'first argument must be string or compiled pattern');
  let compiled: RegExp;
  try {
    compiled = pythonRegex(regex, 'search');
    if (anchored) {
      // Ironic's `matches` is a full match: re.match with `$` added unless the regex ends with one.
      if (regex === '') throw new PythonError('IndexError', 'string index out of range');
      compiled = pythonRegex(regex.endsWith('$') ? regex : `${regex}$`, 'match');
    }
  } catch (err) {
    if (err instanceof RegexError) throw RuleFailure.execution(`invalid regular expression: ${err.message}`);
    throw err;
  }
  return compiled.test(pythonStr(value));
}

function parseNetwork(subnet: string): { type: 'ipv4' | 'ipv6'; address: string; prefix: number } | null {
  const [address = '', prefix, ...rest] = subnet.trim().split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return null;
  const max = family === 4 ? 32 : 128;
  const bits = prefix === undefined ? max : /^\d+$/.test(prefix) ? Number(prefix) : -1;
  if (bits < 0 || bits > max) return null;
  return { type: family === 4 ? 'ipv4' : 'ipv6', address, prefix: bits };
}

/** Ironic's operators, in its order (what its schema lists). */
export const OPERATORS: Readonly<Record<string, ConditionOperator>> = {
  eq: comparison('eq', pythonEquals),
  lt: comparison('lt', (a, b) => pythonCompare(a, b, '<') < 0),
  gt: comparison('gt', (a, b) => pythonCompare(a, b, '>') > 0),
  'is-empty': {
    signature: single(),
    check: ({ value }) => ['', 'None', '[]', '{}'].includes(pythonStr(value)),
  },
  'in-net': {
    signature: { required: ['address', 'subnet'], optional: {}, formatted: ['address', 'subnet'] },
    refusal: (arg) => {
      const { known, value } = arg('subnet');
      if (typeof value !== 'string') return `subnet must be a string, not ${typeName(value)}`;
      return known && parseNetwork(value) === null ? `invalid value: invalid IPNetwork ${value}` : null;
    },
    check: ({ address, subnet }) => {
      const network = parseNetwork(pythonStr(subnet));
      if (network === null) throw RuleFailure.execution(`invalid value: invalid IPNetwork ${pythonStr(subnet)}`);
      const ip = pythonStr(address).trim();
      const family = isIP(ip);
      if (family === 0)
        throw new PythonError('ValueError', `failed to detect a valid IP address from ${pythonRepr(address)}`);
      if ((family === 4 ? 'ipv4' : 'ipv6') !== network.type) return false;
      const block = new BlockList();
      block.addSubnet(network.address, network.prefix, network.type);
      return block.check(ip, network.type);
    },
  },
  matches: {
    signature: regexSignature,
    refusal: (arg) => regexRefusal(arg, true),
    check: ({ value, regex }) => regexCheck(value, regex, true),
  },
  contains: {
    signature: regexSignature,
    refusal: (arg) => regexRefusal(arg, false),
    check: ({ value, regex }) => regexCheck(value, regex, false),
  },
  'one-of': {
    signature: { required: ['value'], optional: { values: [] }, formatted: ['value'] },
    check: ({ value, values }) => pythonContains(values, value),
  },
  'is-none': {
    signature: single(),
    check: ({ value }) => value === null || value === undefined,
  },
  'is-true': {
    signature: single(),
    check: ({ value }) => {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      return typeof value === 'string' && ['yes', 'true'].includes(value.toLowerCase());
    },
  },
  'is-false': {
    signature: single(),
    check: ({ value }) => {
      if (typeof value === 'boolean') return !value;
      if (typeof value === 'number') return value === 0;
      if (typeof value === 'string') return ['no', 'false'].includes(value.toLowerCase());
      return value === null || value === undefined;
    },
  },
};

/**
 * A condition's operator without its `!` (Ironic's parse_inverted_operator):
 * `!eq` and `! eq` are `eq` inverted; two marks are an error.
 */
export function parseInverted(op: string): { name: string; inverted: boolean } {
  const trimmed = op.trim();
  if ((trimmed.match(/!/g) ?? []).length > 1) {
    throw new PythonError(
      'ValueError',
      'Multiple exclamation marks are not allowed. To apply the invert of an operation, simply add an ' +
        'exclamation mark (with an optional space) before the operator, e.g. eq - !eq.',
    );
  }
  return { name: trimmed.replace(/^!/, '').trim(), inverted: trimmed.startsWith('!') };
}
