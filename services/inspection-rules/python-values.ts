/**
 * Python's view of JSON values, which Ironic's rules are written against:
 * `str()` of a value (what interpolation yields), `repr()` (what error
 * messages show), `==`, and `<`/`>` with their TypeError for mixed types.
 */

/** An error Python itself would raise (TypeError, KeyError...), named as Python names it. */
export class PythonError extends Error {
  constructor(
    readonly kind: 'KeyError' | 'IndexError' | 'AttributeError' | 'TypeError' | 'ValueError',
    message: string,
  ) {
    super(message);
  }
}

/** An object reached by attribute (`{node.driver}`), not by key: Ironic's node is one. */
export class PythonObject {
  constructor(
    readonly typeName: string,
    readonly attributes: Readonly<Record<string, unknown>>,
  ) {}
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof PythonObject);
}

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PythonObject) return value.typeName;
  return 'dict';
}

/** `str(value)`. */
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

/** `repr(value)`. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return numberRepr(value);
  if (typeof value === 'string') return stringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (value instanceof PythonObject) {
    const uuid = value.attributes.uuid;
    return `${value.typeName}(uuid=${pythonRepr(typeof uuid === 'string' ? uuid : null)})`;
  }
  // What is left is a dict: JSON has nothing else.
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${stringRepr(k)}: ${pythonRepr(v)}`).join(', ')}}`;
}

function numberRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  // JavaScript writes 1e-7 where Python writes 1e-07.
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

function stringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's truth of a value: False, 0, '', None, [] and {} are false. */
export function pythonTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** `a == b`: True equals 1, lists and dicts compare by content. */
export function pythonEquals(a: unknown, b: unknown): boolean {
  const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'boolean';
  if (numeric(a) && numeric(b)) return Number(a) === Number(b);
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => pythonEquals(v, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && pythonEquals(a[k], b[k]));
  }
  return a === b;
}

/** `value in container`, as Python answers it for a list, a string or a dict. */
export function pythonContains(container: unknown, value: unknown): boolean {
  if (Array.isArray(container)) return container.some((item) => pythonEquals(item, value));
  if (typeof container === 'string') {
    if (typeof value !== 'string')
      throw new PythonError('TypeError', `'in <string>' requires string as left operand, not ${typeName(value)}`);
    return container.includes(value);
  }
  if (isRecord(container)) return typeof value === 'string' && Object.hasOwn(container, value);
  throw new PythonError('TypeError', `argument of type '${typeName(container)}' is not iterable`);
}

const NUMERIC_TEXT = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * The sign of `a` compared with `b` for `<` and `>`. As Python: numbers
 * (booleans too) by value, strings by code point, lists item by item, and
 * TypeError for anything else. One addition: a string holding a number
 * compares with a number by value. Interpolation always yields strings
 * (`"{inventory[memory][physical_mb]}"` is "8192"), so Ironic raises
 * TypeError there and the rule can never compare a size; Anvil compares.
 */
export function pythonCompare(a: unknown, b: unknown, symbol: '<' | '>'): number {
  const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'boolean';
  if (numeric(a) && numeric(b)) return Math.sign(Number(a) - Number(b));
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && numeric(b) && NUMERIC_TEXT.test(a)) return Math.sign(Number(a) - Number(b));
  if (numeric(a) && typeof b === 'string' && NUMERIC_TEXT.test(b)) return Math.sign(Number(a) - Number(b));
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pythonEquals(a[i], b[i])) return pythonCompare(a[i], b[i], symbol);
    }
    return Math.sign(a.length - b.length);
  }
  throw new PythonError(
    'TypeError',
    `'${symbol}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`,
  );
}
