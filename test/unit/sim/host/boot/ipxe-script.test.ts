import { describe, expect, it } from 'vitest';
import {
  IpxeSyntaxError,
  kernelArgsFromBootConfig,
  parseIpxeScript,
  runIpxeScript,
  type IpxeMachine,
  type IpxeOutcome,
} from '../../../../../sim/host/boot/index.js';

const MAC = '52:54:00:00:00:01';

/** Ironic's ipxe_config.template, as Anvil renders it for the agent: a bounded retry loop around kernel/initrd. */
const AGENT_SCRIPT = `#!ipxe

set attempts:int32 3
set i:int32 0

goto deploy

:deploy
imgfree
kernel --timeout 60000 http://anvil/ipa.kernel ipa-api-url=http://anvil:6385 BOOTIF=01-\${mac:hexhyp} nofb || goto retry
initrd --timeout 60000 http://anvil/ipa.initramfs || goto retry
boot

:retry
iseq \${i} \${attempts} && goto fail ||
inc i
echo No response, retrying in \${i} seconds.
sleep \${i}
goto deploy

:fail
echo Failed to get a response after \${attempts} attempts
poweroff
`;

function machine(failing: Set<string> = new Set()): IpxeMachine & { fetched: string[]; slept: number[] } {
  const fetched: string[] = [];
  const slept: number[] = [];
  return {
    fetched,
    slept,
    fetchImage: async (kind, url) => {
      fetched.push(`${kind} ${url}`);
      return !failing.has(url);
    },
    fetchChained: async (url) => {
      fetched.push(`chain ${url}`);
      if (url.endsWith('.ipxe')) return parseIpxeScript('#!ipxe\nkernel vmlinuz a=1\ninitrd initrd.img\nboot\n');
      return url.includes('missing') ? 'failed' : 'binary';
    },
    sleep: async (seconds) => {
      slept.push(seconds);
    },
  };
}

async function run(text: string, m = machine()): Promise<IpxeOutcome> {
  return runIpxeScript(parseIpxeScript(text), m, {
    baseUrl: 'http://anvil/boot/x.ipxe',
    variables: new Map([['mac', MAC]]),
  });
}

describe('iPXE script parser', () => {
  it.each([
    ['no header', 'kernel http://a/k\nboot\n', /starts with #!ipxe/],
    ['an unknown command', '#!ipxe\nfrobnicate now\n', /unknown command "frobnicate"/],
    ['a goto to nowhere', '#!ipxe\ngoto nowhere\n', /goto nowhere: no such label/],
    ['a kernel without image', '#!ipxe\nkernel\n', /kernel needs 1 argument/],
    ['an empty segment', '#!ipxe\nboot && || exit\n', /empty command/],
    ['iseq with one operand', '#!ipxe\niseq a\n', /iseq needs 2 arguments/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseIpxeScript(text)).toThrow(IpxeSyntaxError);
    expect(() => parseIpxeScript(text)).toThrow(message);
  });

  it('reads statements, chains and labels, skipping comments and blank lines', () => {
    const script = parseIpxeScript(AGENT_SCRIPT);
    expect([...script.labels.keys()]).toEqual(['deploy', 'retry', 'fail']);
    const iseq = script.statements.find((s) => s.segments[0]?.words[0] === 'iseq');
    expect(iseq?.segments.map((s) => s.op)).toEqual([';', '&&', '||']);
    expect(iseq?.segments[2]?.words).toEqual([]);
    expect(parseIpxeScript('#!ipxe\n# a comment\n\n  exit  \n').statements).toHaveLength(1);
  });
});

describe('iPXE script runner', () => {
  it.each<[string, string, IpxeOutcome['kind']]>([
    ['sanboot boots the local drive', '#!ipxe\nsanboot --no-describe --drive 0x80\n', 'sanboot'],
    ['exit returns to the firmware', '#!ipxe\necho bye\nexit 0\n', 'exit'],
    ['a script that runs out returns to the firmware', '#!ipxe\ndhcp\nset x 1\n', 'exit'],
    ['poweroff', '#!ipxe\npoweroff\n', 'poweroff'],
    ['boot without a kernel fails', '#!ipxe\nboot\n', 'failed'],
    ['a failed iseq nobody handles ends the script', '#!ipxe\niseq a b\nexit\n', 'failed'],
    ['a trailing || ignores the failure', '#!ipxe\niseq a b ||\nsanboot\n', 'sanboot'],
    ['a goto loop is bounded by the step budget', '#!ipxe\n:top\ngoto top\n', 'failed'],
    ['sanboot from a SAN URI is refused', '#!ipxe\nsanboot iscsi:10.0.0.1::::iqn.x\n', 'failed'],
  ])('%s', async (_what, text, kind) => {
    expect((await run(text)).kind).toBe(kind);
  });

  it('boots the agent kernel with its command line, ${mac:hexhyp} expanded', async () => {
    const m = machine();
    const outcome = await run(AGENT_SCRIPT, m);
    expect(outcome).toEqual({
      kind: 'kernel',
      kernel: {
        url: 'http://anvil/ipa.kernel',
        args: ['ipa-api-url=http://anvil:6385', 'BOOTIF=01-52-54-00-00-00-01', 'nofb'],
      },
      initrds: ['http://anvil/ipa.initramfs'],
    });
    expect(m.fetched).toEqual(['kernel http://anvil/ipa.kernel', 'initrd http://anvil/ipa.initramfs']);
  });

  it('retries a failing kernel fetch as the script says, then powers off', async () => {
    const m = machine(new Set(['http://anvil/ipa.kernel']));
    const outcome = await run(AGENT_SCRIPT, m);
    expect(outcome.kind).toBe('poweroff');
    expect(m.fetched).toHaveLength(4);
    expect(m.slept).toEqual([1, 2, 3]);
  });

  it('resolves relative URLs against the script and follows chain to a script or a binary', async () => {
    const m = machine();
    const viaScript = await run('#!ipxe\nchain next.ipxe\n', m);
    expect(viaScript).toMatchObject({
      kind: 'kernel',
      kernel: { url: 'http://anvil/boot/vmlinuz', args: ['a=1'] },
      initrds: ['http://anvil/boot/initrd.img'],
    });
    expect(await run('#!ipxe\nchain http://other/kernel console=ttyS0\n')).toMatchObject({
      kind: 'kernel',
      kernel: { url: 'http://other/kernel', args: ['console=ttyS0'] },
    });
    expect(await run('#!ipxe\nchain http://x/missing || exit\n')).toEqual({ kind: 'exit' });
  });
});

describe('boot loader configs on an agent ISO', () => {
  it('take the command line from grub linux/linuxefi and isolinux append lines', () => {
    expect(
      kernelArgsFromBootConfig(
        'menuentry "x" {\n  linuxefi /vmlinuz ipa-api-url=http://a BOOTIF=01-aa\n  initrdefi /initrd\n}\n',
        'grub',
      ),
    ).toEqual(['ipa-api-url=http://a', 'BOOTIF=01-aa']);
    expect(
      kernelArgsFromBootConfig(
        'default boot\nlabel boot\n  kernel /vmlinuz\n  APPEND initrd=/initrd ipa-api-url=http://a nofb\n',
        'isolinux',
      ),
    ).toEqual(['ipa-api-url=http://a', 'nofb']);
    expect(kernelArgsFromBootConfig('set timeout=5\n', 'grub')).toBeNull();
  });
});
