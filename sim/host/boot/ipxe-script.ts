// The subset of iPXE's script language Anvil (and Ironic's ipxe_config
// template) renders: `#!ipxe`, comments, `:labels`, `goto`, `&&`/`||`
// chains, variables (`set`, `inc`, `iseq`, `${...}`), `kernel`, `initrd`,
// `boot`, `chain`, `sanboot`, `exit`, and the housekeeping commands that
// change nothing here (`imgfree`, `dhcp`, `echo`, `sleep`...). Parsing is
// pure and checks what can be checked before variables are known: the
// header, that every command is one this host understands, and that every
// literal `goto` lands on a label.

/** How a segment joins the one before it on a line (the first one uses ';'). */
export type ChainOperator = ';' | '&&' | '||';

export interface IpxeSegment {
  op: ChainOperator;
  /** The words as written, `${...}` not yet expanded; empty for a trailing `||`. */
  words: string[];
}

export interface IpxeStatement {
  /** 1-based line number in the script, for error messages. */
  line: number;
  segments: IpxeSegment[];
}

export interface IpxeScript {
  statements: IpxeStatement[];
  /** Label name to the index of the first statement after it. */
  labels: ReadonlyMap<string, number>;
}

const IPXE_COMMANDS = [
  'kernel',
  'initrd',
  'module',
  'boot',
  'chain',
  'sanboot',
  'exit',
  'goto',
  'set',
  'inc',
  'iseq',
  'isset',
  'echo',
  'sleep',
  'imgfree',
  'dhcp',
  'ifconf',
  'ifopen',
  'poweroff',
  'reboot',
] as const;
type IpxeCommandName = (typeof IPXE_COMMANDS)[number];

const KNOWN = new Set<string>(IPXE_COMMANDS);
const OPERATORS = new Set<string>(['&&', '||', ';']);

/** A script this host's iPXE would refuse, with the line that says why. */
export class IpxeSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`iPXE script line ${line}: ${message}`);
    this.name = 'IpxeSyntaxError';
  }
}

/** Whether a fetched body is an iPXE script rather than a binary image (iPXE's own test). */
export function isIpxeScript(text: string): boolean {
  return /^#!ipxe\b/.test(text);
}

export function parseIpxeScript(text: string): IpxeScript {
  const lines = text.split(/\r?\n/);
  if (!isIpxeScript(lines[0] ?? '')) throw new IpxeSyntaxError(1, 'a script starts with #!ipxe');
  const statements: IpxeStatement[] = [];
  const labels = new Map<string, number>();
  const gotos: Array<{ line: number; label: string }> = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    if (index === 0 || text === '' || text.startsWith('#')) return;
    if (text.startsWith(':')) {
      const label = text.slice(1).trim();
      if (!/^\S+$/.test(label)) throw new IpxeSyntaxError(line, `bad label "${text}"`);
      labels.set(label, statements.length);
      return;
    }
    const segments = splitSegments(text.split(/\s+/), line);
    for (const segment of segments) {
      const [name, target] = segment.words;
      if (name === 'goto' && target !== undefined && !target.includes('${')) gotos.push({ line, label: target });
    }
    statements.push({ line, segments });
  });
  for (const { line, label } of gotos) {
    if (!labels.has(label)) throw new IpxeSyntaxError(line, `goto ${label}: no such label`);
  }
  return { statements, labels };
}

function splitSegments(words: string[], line: number): IpxeSegment[] {
  const segments: IpxeSegment[] = [{ op: ';', words: [] }];
  for (const word of words) {
    if (OPERATORS.has(word)) segments.push({ op: word as ChainOperator, words: [] });
    else (segments[segments.length - 1] as IpxeSegment).words.push(word);
  }
  segments.forEach((segment, i) => {
    const name = segment.words[0];
    if (name === undefined) {
      // Only a trailing `||` may be empty: iPXE's idiom for "ignore this failure".
      if (i === segments.length - 1 && segment.op === '||' && i > 0) return;
      throw new IpxeSyntaxError(line, 'empty command');
    }
    if (!name.includes('${') && !KNOWN.has(name)) throw new IpxeSyntaxError(line, `unknown command "${name}"`);
    checkArity(name, segment.words.length - 1, line);
  });
  return segments;
}

const MIN_ARGS: Partial<Record<IpxeCommandName, number>> = {
  kernel: 1,
  initrd: 1,
  module: 1,
  chain: 1,
  goto: 1,
  set: 1,
  inc: 1,
  iseq: 2,
  isset: 1,
  sleep: 1,
};

function checkArity(name: string, args: number, line: number): void {
  const min = MIN_ARGS[name as IpxeCommandName];
  if (min !== undefined && args < min)
    throw new IpxeSyntaxError(line, `${name} needs ${min} argument${min === 1 ? '' : 's'}`);
}
