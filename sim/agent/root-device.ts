// Which disk the image goes to, as IPA picks it (get_os_install_device):
// with root device hints (instance_info.root_device, else
// properties.root_device), the first block device matching every hint, in
// IPA's hint language (device_hints.py over oslo's specs_matcher: `s==`,
// `<in>`, `<or>`, `>=` and the rest; size in GiB; strings compared
// lower-cased and URL-quoted); without hints, the smallest device of at
// least 4 GiB. Failures carry IPA's DeviceNotFound wording. Pure.
import type { BlockDevice } from './block-devices.js';
import { AgentCommandError } from './command-error.js';

type HintType = 'str' | 'int' | 'bool';

/** IPA's VALID_ROOT_DEVICE_HINTS, in its order. */
const HINT_TYPES: Readonly<Record<string, HintType>> = {
  size: 'int',
  model: 'str',
  wwn: 'str',
  serial: 'str',
  vendor: 'str',
  wwn_with_extension: 'str',
  wwn_vendor_extension: 'str',
  name: 'str',
  rotational: 'bool',
  hctl: 'str',
  by_path: 'str',
  tran: 'str',
};

/** IPA's guess_root_disk floor when no hints are given. */
const MIN_ROOT_BYTES = 4 * 1024 ** 3;
const GIB = 1024 ** 3;

const num = (x: string | number): number => Number(x);
/** specs_matcher's operators; `=` is "at least", a legacy of Nova's capabilities filter. */
const OPERATORS: Readonly<Record<string, (value: string | number, ...args: string[]) => boolean>> = {
  '=': (x, y = '') => num(x) >= num(y),
  '==': (x, y = '') => num(x) === num(y),
  '!=': (x, y = '') => num(x) !== num(y),
  '<=': (x, y = '') => num(x) <= num(y),
  '<': (x, y = '') => num(x) < num(y),
  '>=': (x, y = '') => num(x) >= num(y),
  '>': (x, y = '') => num(x) > num(y),
  's==': (x, y = '') => String(x) === y,
  's!=': (x, y = '') => String(x) !== y,
  's<': (x, y = '') => String(x) < y,
  's<=': (x, y = '') => String(x) <= y,
  's>': (x, y = '') => String(x) > y,
  's>=': (x, y = '') => String(x) >= y,
  '<in>': (x, y = '') => String(x).includes(y),
  '<all-in>': (x, ...ys) => ys.every((y) => String(x).includes(y)),
  '<or>': (x, ...ys) => ys.some((y) => String(x) === y),
};

/**
 * specs_matcher's grammar on a whitespace-split expression: an operator and
 * its value(s), or a bare value (one token, no operator).
 */
function parseSpec(expression: string): string[] {
  const tokens = expression
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  const [first, ...rest] = tokens;
  if (first === undefined) return [];
  const isOperator = (t: string): boolean => t in OPERATORS;
  if (first === '<or>') {
    // `<or> a <or> b`: every other token is the keyword.
    const values: string[] = [];
    for (let i = 0; i + 1 < tokens.length && tokens[i] === '<or>' && !isOperator(tokens[i + 1]!); i += 2)
      values.push(tokens[i + 1]!);
    return values.length === 0 ? [first] : ['<or>', ...values];
  }
  if (first === '<all-in>') {
    const values = rest.slice(0, rest.findIndex(isOperator) < 0 ? rest.length : rest.findIndex(isOperator));
    return values.length === 0 ? [first] : ['<all-in>', ...values];
  }
  if (isOperator(first)) return rest[0] === undefined || isOperator(rest[0]) ? [first] : [first, rest[0]];
  return [first];
}

/** Python's str() of a JSON value: hints and device attributes are compared as Python prints them. */
function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** urllib.parse.quote: UTF-8, everything but letters, digits, `_.-~/` percent-encoded. */
function pyQuote(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9_.\-~/]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

function operatorAndValues(hint: unknown, name: string): { op: string; values: string[] } {
  const expression = pyStr(hint).trim().toLowerCase();
  if (expression === '') throw new HintError(`Root device hint ${name} expression is empty`);
  const ast = parseSpec(expression);
  if (ast.length <= 1) return { op: '', values: [expression] };
  const op = ast[0]!;
  return {
    op,
    values: expression
      .split(op)
      .filter((v) => v !== '')
      .map((v) => v.trim()),
  };
}

/** `"<or> foo bar <or> baz"` becomes `"<or> foo%20bar <or> baz"`: values quoted, operators kept. */
function normalized(expression: unknown, name: string): string {
  const { op, values } = operatorAndValues(expression, name);
  return (op + values.map((v) => ` ${pyQuote(v)} `).join(op)).trim();
}

class HintError extends Error {}

const TRUE_WORDS = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_WORDS = ['0', 'f', 'false', 'off', 'n', 'no'];

/** oslo's bool_from_string(strict=True). */
function strictBool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  const word = pyStr(value).trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  return null;
}

type ParsedHints = Record<string, string | boolean>;

/** IPA's parse_root_device_hints: validated, normalized, with the implied `s==`/`==` made explicit. */
function parseHints(hints: Record<string, unknown>): ParsedHints {
  const invalid = Object.keys(hints).filter((k) => !(k in HINT_TYPES));
  if (invalid.length > 0)
    throw new HintError(
      `The hints "${invalid.join(', ')}" are invalid. Valid hints are: "${Object.keys(HINT_TYPES).join(', ')}"`,
    );
  const parsed: ParsedHints = {};
  for (const [name, expression] of Object.entries(hints)) {
    const type = HINT_TYPES[name]!;
    if (type === 'bool') {
      const flag = strictBool(expression);
      if (flag === null)
        throw new HintError(`Root device hint "${name}" is not a Boolean value. Current value: ${pyStr(expression)}`);
      parsed[name] = flag;
      continue;
    }
    let text: string;
    if (type === 'str') {
      if (typeof expression !== 'string')
        throw new HintError(`Root device hint "${name}" is not a string value. Hint expression: ${pyStr(expression)}`);
      text = normalized(expression, name);
    } else {
      for (const value of operatorAndValues(expression, name).values) {
        if (!/^\s*[+-]?\d+\s*$/.test(value))
          throw new HintError(
            `Root device hint "${name}" is not an integer value. Current value: ${pyStr(expression)}`,
          );
        if (Number(value) <= 0)
          throw new HintError(
            `Root device hint "${name}" should be a positive integer. Current value: ${pyStr(expression)}`,
          );
      }
      text = pyStr(expression);
    }
    parsed[name] = parseSpec(text).length > 1 ? text : `${type === 'str' ? 's==' : '=='} ${text}`;
  }
  return parsed;
}

function matches(device: BlockDevice, hints: ParsedHints): boolean {
  return Object.entries(hints).every(([name, hint]) => {
    const raw = (device as unknown as Record<string, unknown>)[name];
    if (typeof hint === 'boolean') return strictBool(raw) === hint;
    const value = name === 'size' ? Number(raw) / GIB : normalized(raw, name);
    const [op, ...args] = parseSpec(hint);
    return op !== undefined && OPERATORS[op] !== undefined && OPERATORS[op](value, ...args);
  });
}

/** The disk to write the image to; DeviceNotFound, in IPA's words, when none will do. */
export function rootDevice(devices: readonly BlockDevice[], hints: unknown): BlockDevice {
  if (!hasHints(hints)) {
    const bySize = [...devices].sort((a, b) => a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const chosen = bySize.find((d) => d.size >= MIN_ROOT_BYTES);
    if (chosen === undefined)
      throw new AgentCommandError(
        'DeviceNotFound',
        `No suitable device was found for deployment - root device hints were not provided and all found block devices are smaller than ${MIN_ROOT_BYTES}B.`,
      );
    return chosen;
  }
  let parsed: ParsedHints;
  try {
    parsed = parseHints(hints);
  } catch (err) {
    if (!(err instanceof HintError)) throw err;
    throw new AgentCommandError(
      'DeviceNotFound',
      `No devices could be found using the root device hints ${pyRepr(hints)} because they failed to validate. Error: ${err.message}`,
    );
  }
  const chosen = devices.find((d) => matches(d, parsed));
  if (chosen === undefined)
    throw new AgentCommandError(
      'DeviceNotFound',
      `No suitable device was found for deployment using these hints ${pyRepr(hints)}`,
    );
  return chosen;
}

/** Python's truthiness of the hints: none, null and `{}` all mean "no hints". */
function hasHints(hints: unknown): hints is Record<string, unknown> {
  return typeof hints === 'object' && hints !== null && !Array.isArray(hints) && Object.keys(hints).length > 0;
}

/** How IPA's message prints the hints: a Python dict. */
function pyRepr(value: unknown): string {
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  return pyStr(value);
}
