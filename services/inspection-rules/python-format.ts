import { isRecord, PythonError, PythonObject, pythonRepr, pythonStr, typeName } from './python-values.js';

/**
 * Python's `str.format(**context)`, which Ironic formats rule arguments
 * with: `{inventory[cpu][count]}`, `{node.driver}`, `{item}`, `{{` for a
 * brace, `!s`/`!r` conversions. A failure is the PythonError Python would
 * raise (KeyError for a missing key, AttributeError...). Format
 * specifications (`{x:>8}`) are not supported and raise ValueError, which
 * leaves the text unformatted just as any other failure does in Ironic.
 */
export function pythonFormat(template: string, context: Readonly<Record<string, unknown>>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '{' && template[i + 1] === '{') {
      out += '{';
      i += 2;
    } else if (ch === '}' && template[i + 1] === '}') {
      out += '}';
      i += 2;
    } else if (ch === '}') {
      throw new PythonError('ValueError', "Single '}' encountered in format string");
    } else if (ch === '{') {
      const end = fieldEnd(template, i + 1);
      out += renderField(template.slice(i + 1, end), context);
      i = end + 1;
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

/** The index of the `}` closing the field that starts at `start` (brackets and nested braces skipped). */
function fieldEnd(template: string, start: number): number {
  let depth = 1;
  let inBracket = false;
  for (let j = start; j < template.length; j++) {
    const c = template[j];
    if (inBracket) {
      if (c === ']') inBracket = false;
    } else if (c === '[') inBracket = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return j;
  }
  throw new PythonError('ValueError', "expected '}' before end of string");
}

function renderField(field: string, context: Readonly<Record<string, unknown>>): string {
  let nameEnd = field.length;
  let inBracket = false;
  for (let j = 0; j < field.length; j++) {
    const c = field[j];
    if (inBracket) {
      if (c === ']') inBracket = false;
    } else if (c === '[') inBracket = true;
    else if (c === '!' || c === ':') {
      nameEnd = j;
      break;
    }
  }
  const value = resolve(field.slice(0, nameEnd), context);
  let rest = field.slice(nameEnd);
  let conversion: string | null = null;
  if (rest.startsWith('!')) {
    conversion = rest[1] ?? '';
    rest = rest.slice(2);
    if (rest !== '' && !rest.startsWith(':'))
      throw new PythonError('ValueError', "expected ':' after conversion specifier");
  }
  if (rest.length > 1) throw new PythonError('ValueError', 'format specifications are not supported');
  if (conversion === null || conversion === 's') return pythonStr(value);
  if (conversion === 'r' || conversion === 'a') return pythonRepr(value);
  throw new PythonError('ValueError', `Unknown conversion specifier ${conversion}`);
}

/** The value a field name (`inventory[disks][0][size]`, `node.properties`) names. */
function resolve(name: string, context: Readonly<Record<string, unknown>>): unknown {
  const first = /^[^.[]*/.exec(name)![0];
  if (first === '' || /^\d+$/.test(first)) {
    throw new PythonError('IndexError', `Replacement index ${first || 0} out of range for positional args tuple`);
  }
  if (!Object.hasOwn(context, first)) throw new PythonError('KeyError', pythonRepr(first));
  let value = context[first];
  let i = first.length;
  while (i < name.length) {
    if (name[i] === '.') {
      const attr = /^[^.[]*/.exec(name.slice(i + 1))![0];
      if (attr === '') throw new PythonError('ValueError', 'Empty attribute in format string');
      value = attribute(value, attr);
      i += 1 + attr.length;
    } else if (name[i] === '[') {
      const close = name.indexOf(']', i);
      if (close === -1) throw new PythonError('ValueError', "Missing ']' in format string");
      const key = name.slice(i + 1, close);
      if (key === '') throw new PythonError('ValueError', 'Empty attribute in format string');
      value = item(value, /^\d+$/.test(key) ? Number(key) : key);
      i = close + 1;
      if (i < name.length && name[i] !== '.' && name[i] !== '[')
        throw new PythonError('ValueError', "Only '.' or '[' may follow ']' in format field specifier");
    } else {
      throw new PythonError('ValueError', "Only '.' or '[' may follow ']' in format field specifier");
    }
  }
  return value;
}

function attribute(value: unknown, attr: string): unknown {
  if (value instanceof PythonObject && Object.hasOwn(value.attributes, attr)) return value.attributes[attr];
  throw new PythonError('AttributeError', `'${typeName(value)}' object has no attribute ${pythonRepr(attr)}`);
}

function item(value: unknown, key: string | number): unknown {
  if (Array.isArray(value) || typeof value === 'string') {
    const what = Array.isArray(value) ? 'list' : 'string';
    if (typeof key === 'string') {
      throw new PythonError(
        'TypeError',
        `${what} indices must be integers${Array.isArray(value) ? ' or slices' : ''}, not 'str'`,
      );
    }
    if (key >= value.length) throw new PythonError('IndexError', `${what} index out of range`);
    return value[key];
  }
  if (isRecord(value)) {
    // JSON keys are strings: an index looks up nothing in a dict, as in Python.
    if (typeof key === 'number' || !Object.hasOwn(value, key)) throw new PythonError('KeyError', pythonRepr(key));
    return value[key];
  }
  throw new PythonError('TypeError', `'${typeName(value)}' object is not subscriptable`);
}
