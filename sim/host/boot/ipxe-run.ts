// Runs a parsed iPXE script the way iPXE does: statements in order, `&&`
// and `||` by status, `goto` by label, a failing command that nobody
// handles ends the script. The fetching and sleeping are the host's
// (IpxeMachine); this file decides only what the script asks for, within a
// step budget so a retry loop that never succeeds still ends.
import type { IpxeScript, IpxeSegment } from './ipxe-script.js';

/** The kernel and its command line, as `kernel` loaded it. */
export interface LoadedKernel {
  url: string;
  args: string[];
}

export type IpxeOutcome =
  /** `boot` (or `chain` to a binary) with a kernel loaded: hand over to it. */
  | { kind: 'kernel'; kernel: LoadedKernel; initrds: string[] }
  /** `sanboot` without a URI: boot the local drive. */
  | { kind: 'sanboot' }
  /** `exit`, or the script ran out: back to the firmware's next boot device. */
  | { kind: 'exit' }
  | { kind: 'poweroff' }
  | { kind: 'reboot' }
  /** A failure nothing in the script handled, or the step budget spent. */
  | { kind: 'failed'; reason: string };

/** What the host does for the script. */
export interface IpxeMachine {
  /** Fetches an image (bounded); true when it arrived. */
  fetchImage(kind: 'kernel' | 'initrd', url: string): Promise<boolean>;
  /** Fetches what `chain` names; a script comes back parsed, anything else as 'binary'. */
  fetchChained(url: string): Promise<IpxeScript | 'binary' | 'failed'>;
  sleep(seconds: number): Promise<void>;
}

export interface IpxeRunOptions {
  /** Settings `${...}` reads: `mac`, `net0/mac`, `buildarch`, `platform`, `uuid`... */
  variables: ReadonlyMap<string, string>;
  /** Where the script came from: relative URLs resolve against it, as iPXE's cwuri. */
  baseUrl: string;
  /** Statements executed before the script is given up on. */
  maxSteps?: number;
  /** Nested `chain`s to scripts. */
  maxChainDepth?: number;
}

type SegmentResult =
  | { kind: 'status'; ok: boolean; reason?: string }
  | { kind: 'jump'; label: string }
  | { kind: 'end'; outcome: IpxeOutcome };

interface RunState {
  machine: IpxeMachine;
  variables: Map<string, string>;
  steps: number;
  maxSteps: number;
  maxChainDepth: number;
  kernel: LoadedKernel | null;
  initrds: string[];
}

export async function runIpxeScript(
  script: IpxeScript,
  machine: IpxeMachine,
  options: IpxeRunOptions,
): Promise<IpxeOutcome> {
  const state: RunState = {
    machine,
    variables: new Map(options.variables),
    steps: 0,
    maxSteps: options.maxSteps ?? 500,
    maxChainDepth: options.maxChainDepth ?? 4,
    kernel: null,
    initrds: [],
  };
  return runScript(script, options.baseUrl, state, 0);
}

async function runScript(script: IpxeScript, baseUrl: string, state: RunState, depth: number): Promise<IpxeOutcome> {
  let pc = 0;
  while (pc < script.statements.length) {
    state.steps += 1;
    if (state.steps > state.maxSteps)
      return { kind: 'failed', reason: `script still running after ${state.maxSteps} steps` };
    const statement = script.statements[pc] as IpxeScript['statements'][number];
    pc += 1;
    let status: { ok: boolean; reason?: string } = { ok: true };
    let jumped: string | null = null;
    for (const segment of statement.segments) {
      if (segment.op === '&&' && !status.ok) continue;
      if (segment.op === '||' && status.ok) continue;
      const result = await runSegment(segment, baseUrl, state, depth);
      if (result.kind === 'end') return result.outcome;
      if (result.kind === 'jump') {
        jumped = result.label;
        break;
      }
      status = result;
    }
    if (jumped !== null) {
      const target = script.labels.get(jumped);
      if (target === undefined)
        return { kind: 'failed', reason: `line ${statement.line}: goto ${jumped}: no such label` };
      pc = target;
      continue;
    }
    // iPXE ends a script at the first failure that no `||` took care of.
    if (!status.ok) return { kind: 'failed', reason: `line ${statement.line}: ${status.reason ?? 'command failed'}` };
  }
  return { kind: 'exit' };
}

async function runSegment(
  segment: IpxeSegment,
  baseUrl: string,
  state: RunState,
  depth: number,
): Promise<SegmentResult> {
  // A trailing `||` with nothing after it: the failure is ignored.
  if (segment.words.length === 0) return { kind: 'status', ok: true };
  const words = segment.words
    .map((w) => expand(w, state.variables))
    .join(' ')
    .split(/\s+/)
    .filter((w) => w !== '');
  const [name = '', ...args] = words;
  switch (name) {
    case 'kernel': {
      const [location, ...params] = positionalArgs(args);
      if (location === undefined) return fail('kernel: no image given');
      const url = resolve(location, baseUrl);
      if (url === null) return fail(`kernel: bad URL ${location}`);
      // iPXE drops every loaded image when a new kernel is selected without --name, as imgfree does.
      state.initrds = [];
      state.kernel = null;
      if (!(await state.machine.fetchImage('kernel', url))) return fail(`kernel ${url}: fetch failed`);
      state.kernel = { url, args: params };
      return ok();
    }
    case 'initrd':
    case 'module': {
      const [location] = positionalArgs(args);
      if (location === undefined) return fail(`${name}: no image given`);
      const url = resolve(location, baseUrl);
      if (url === null) return fail(`${name}: bad URL ${location}`);
      if (!(await state.machine.fetchImage('initrd', url))) return fail(`initrd ${url}: fetch failed`);
      state.initrds.push(url);
      return ok();
    }
    case 'boot':
      if (state.kernel === null) return fail('boot: no kernel loaded');
      return { kind: 'end', outcome: { kind: 'kernel', kernel: state.kernel, initrds: [...state.initrds] } };
    case 'chain':
      return chain(args, baseUrl, state, depth);
    case 'sanboot': {
      // With a URI sanboot attaches a SAN disk; Anvil only renders the local form.
      if (positionalArgs(args).length > 0) return fail('sanboot from a SAN URI is not supported by this host');
      return { kind: 'end', outcome: { kind: 'sanboot' } };
    }
    case 'exit':
      return { kind: 'end', outcome: { kind: 'exit' } };
    case 'poweroff':
      return { kind: 'end', outcome: { kind: 'poweroff' } };
    case 'reboot':
      return { kind: 'end', outcome: { kind: 'reboot' } };
    case 'goto':
      return { kind: 'jump', label: args[0] ?? '' };
    case 'set': {
      const [variable = '', ...value] = args;
      state.variables.set(settingName(variable), value.join(' '));
      return ok();
    }
    case 'inc': {
      const [variable = '', by = '1'] = args;
      const key = settingName(variable);
      const next = (Number.parseInt(state.variables.get(key) ?? '0', 10) || 0) + (Number.parseInt(by, 10) || 0);
      state.variables.set(key, String(next));
      return ok();
    }
    case 'iseq':
      return args[0] === args[1] ? ok() : fail(`iseq ${args[0] ?? ''} ${args[1] ?? ''}: not equal`);
    case 'isset':
      return args.length > 0 ? ok() : fail('isset: not set');
    // Nobody watches this console.
    case 'echo':
      return ok();
    case 'sleep': {
      const seconds = Number.parseInt(args[0] ?? '', 10);
      if (!Number.isFinite(seconds) || seconds < 0) return fail(`sleep: bad duration ${args[0] ?? ''}`);
      await state.machine.sleep(seconds);
      return ok();
    }
    case 'imgfree':
      state.kernel = null;
      state.initrds = [];
      return ok();
    // The host already has its network from the boot that got it this far.
    case 'dhcp':
    case 'ifconf':
    case 'ifopen':
      return ok();
    default:
      return fail(`unknown command "${name}"`);
  }
}

async function chain(args: string[], baseUrl: string, state: RunState, depth: number): Promise<SegmentResult> {
  const [location, ...params] = positionalArgs(args);
  if (location === undefined) return fail('chain: no image given');
  const url = resolve(location, baseUrl);
  if (url === null) return fail(`chain: bad URL ${location}`);
  if (depth >= state.maxChainDepth) return fail(`chain ${url}: more than ${state.maxChainDepth} nested scripts`);
  const fetched = await state.machine.fetchChained(url);
  if (fetched === 'failed') return fail(`chain ${url}: fetch failed`);
  if (fetched === 'binary')
    return { kind: 'end', outcome: { kind: 'kernel', kernel: { url, args: params }, initrds: [...state.initrds] } };
  // A chained script that returns (ran out, or `exit`) returns to the firmware, not to the caller's next line.
  return { kind: 'end', outcome: await runScript(fetched, url, state, depth + 1) };
}

function ok(): SegmentResult {
  return { kind: 'status', ok: true };
}

function fail(reason: string): SegmentResult {
  return { kind: 'status', ok: false, reason };
}

/** Options iPXE's image commands take a value for; any other `--x` is a flag. */
const VALUE_OPTIONS = new Set([
  '--name',
  '-n',
  '--timeout',
  '-t',
  '--drive',
  '-d',
  '--filename',
  '-f',
  '--extra',
  '-e',
  '--label',
  '-l',
  '--uuid',
  '-u',
]);

/** iPXE reads options only before the first positional word; later dashes belong to the kernel's command line. */
function positionalArgs(args: string[]): string[] {
  let i = 0;
  while (i < args.length && (args[i] as string).startsWith('-')) i += VALUE_OPTIONS.has(args[i] as string) ? 2 : 1;
  return args.slice(i);
}

function resolve(location: string, base: string): string | null {
  try {
    return new URL(location, base).href;
  } catch {
    return null;
  }
}

/** `set attempts:int32 10` names the setting `attempts`; the type only matters to iPXE's storage. */
function settingName(word: string): string {
  return word.split(':')[0] ?? word;
}

/** `${name}` and `${name:type}`; an unset setting expands to nothing, as in iPXE. */
function expand(word: string, variables: ReadonlyMap<string, string>): string {
  return word.replace(/\$\{([^}:]+)(?::([^}]+))?\}/g, (_m, name: string, type: string | undefined) => {
    const value = variables.get(name) ?? '';
    return type === 'hexhyp' ? value.replaceAll(':', '-') : value;
  });
}
