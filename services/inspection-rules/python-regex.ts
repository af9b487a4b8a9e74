/** A regular expression that Python's `re` syntax, as Anvil reads it, does not allow. */
export class RegexError extends Error {}

const FLAGS: Record<string, string> = { i: 'i', m: 'm', s: 's', a: '', u: '' };
const START = '(?<![\\s\\S])';
const END = '(?![\\s\\S])';

/**
 * A Python regular expression as a JavaScript RegExp, used as `re.match`
 * (anchored at the start) or `re.search`. Python's own syntax is carried
 * over: leading inline flags (`(?i)dell`), `(?P<name>...)` and `(?P=name)`,
 * `\A` and `\Z`, `$` also before a final newline, and `]` first in a class.
 * What JavaScript cannot express (verbose or locale flags, scoped flags,
 * comments, possessive quantifiers) is refused with the reason.
 */
export function pythonRegex(pattern: string, mode: 'match' | 'search'): RegExp {
  let i = 0;
  let flags = '';
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(pattern);
  if (leading) {
    for (const f of leading[1]!) {
      const js = FLAGS[f];
      if (js === undefined) throw new RegexError(`the inline flag '${f}' is not supported`);
      if (!flags.includes(js)) flags += js;
    }
    i = leading[0].length;
  }
  const multiline = flags.includes('m');
  let out = '';
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) throw new RegexError('bad escape (end of pattern)');
      if (!inClass && next === 'A') out += START;
      else if (!inClass && next === 'Z') out += END;
      else out += c + next;
      i += 2;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      i += 1;
    } else if (c === '[') {
      inClass = true;
      out += '[';
      i += 1;
      if (pattern[i] === '^') out += pattern[i++];
      // Python reads a `]` right after the opening bracket as itself; JavaScript as an empty class.
      if (pattern[i] === ']') {
        out += '\\]';
        i += 1;
      }
    } else if (pattern.startsWith('(?P<', i)) {
      out += '(?<';
      i += 4;
    } else if (pattern.startsWith('(?P=', i)) {
      const close = pattern.indexOf(')', i);
      if (close === -1) throw new RegexError('missing ), unterminated name');
      out += `\\k<${pattern.slice(i + 4, close)}>`;
      i = close + 1;
    } else if (c === '$' && !multiline) {
      out += `(?=\\n?${END})`;
      i += 1;
    } else {
      out += c;
      i += 1;
    }
  }
  const source = mode === 'match' ? `${START}(?:${out})` : out;
  try {
    return new RegExp(source, flags);
  } catch (err) {
    // JavaScript's message repeats the translated source; the reason is its last part.
    throw new RegexError(/: ([^:]+)$/.exec((err as Error).message)?.[1] ?? 'not a valid regular expression');
  }
}
