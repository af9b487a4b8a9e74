/**
 * Per-host iPXE scripts (DESIGN decision 9), rendered from what the backend
 * says a host should boot. Pure: text in, text out, so every variant is a
 * snapshot test. The conventions follow Ironic's ipxe_config.template:
 * named images so a UEFI kernel's stub finds its initrd (`initrd=ramdisk`),
 * `imgfree` before a retry, `sanboot --no-describe --drive 0x80` for a BIOS
 * local disk and `exit` for UEFI (iPXE cannot sanboot a local disk there; the
 * firmware's boot manager moves on to the installed OS). Unlike Ironic's
 * template, whose `|| goto deploy` loops forever, the fetch is retried a
 * bounded number of times, then the host leaves the boot to its next device
 * and the conductor's callback timeout decides the node's fate.
 */
import type { BootAction } from '../backend.js';
import { IpxeScriptError } from './errors.js';
import { bootifParam } from './mac.js';

/** Known when the caller learnt it (iPXE's `${platform}`); otherwise the script asks iPXE itself. */
export type BootMode = 'bios' | 'uefi';

/** What a MAC that no node owns is told. */
export type UnknownHostPolicy =
  /** Leave the boot to the next device (the default: Anvil ignores hosts it does not know). */
  | { kind: 'exit' }
  /** Boot the agent anyway, so it can inspect the host and report it (discovery, as Ironic's unmanaged inspection does). */
  | { kind: 'discovery'; kernelUrl: string; ramdiskUrl: string; kernelParams: string[] };

export interface ScriptOptions {
  /** Tries of the kernel+initrd download before giving up. Default 3. */
  fetchAttempts?: number;
  /** Seconds between tries. Default 5. */
  retryDelaySeconds?: number;
}

/** The host as the renderer needs it: a subset of BootHost. */
export interface ScriptHost {
  /** Lower-case, colon separated. */
  mac: string;
  nodeUuid: string;
  boot: BootAction;
}

const DEFAULT_ATTEMPTS = 3;
const DEFAULT_RETRY_DELAY_S = 5;
const HEADER = '#!ipxe';
/** iPXE's parser has no quoting: a kernel parameter is one word of printable characters. */
const WORD = /^[\x21-\x7e\u00a0-\uffff]+$/;
/** Parameters the script itself sets from the host; a caller-supplied one would contradict it. */
const RESERVED_PARAMS = ['BOOTIF=', 'initrd='];
/** Words iPXE reads as the end of a command wherever they stand. */
const COMMAND_TERMINATORS = new Set(['||', '&&', ';']);
/** The image names the kernel's `initrd=` refers to; a UEFI stub kernel looks the initrd up by this name. */
const KERNEL_NAME = 'kernel';
const RAMDISK_NAME = 'ramdisk';

/** The script for a host the backend knows. */
export function renderHostScript(host: ScriptHost, bootMode: BootMode | null, options: ScriptOptions = {}): string {
  const title = `${host.mac}, node ${host.nodeUuid}`;
  switch (host.boot.kind) {
    case 'agent':
      return agentScript(`agent ramdisk for ${title}`, host.mac, host.boot, options);
    case 'ramdisk':
      return agentScript(`instance ramdisk for ${title}`, host.mac, host.boot, options, 'the instance ramdisk');
    case 'local-disk':
      return localDiskScript(`local disk for ${title}`, bootMode);
    case 'exit':
      return script(`nothing to boot for ${title}`, ['exit']);
  }
}

/** The script for a MAC no node owns. */
export function renderUnknownHostScript(mac: string, policy: UnknownHostPolicy, options: ScriptOptions = {}): string {
  if (policy.kind === 'exit') return script(`unknown host ${mac}`, ['exit']);
  return agentScript(`discovery for unknown host ${mac}`, mac, policy, options);
}

/**
 * A script that tells the console why, then leaves the boot to the next
 * device: what a host gets when its own script cannot be rendered, so the
 * operator watching the console sees the reason instead of a bare HTTP error.
 */
export function renderErrorScript(mac: string, reason: string): string {
  return script(`cannot boot ${mac}`, [`echo Anvil: cannot boot ${printable(mac)}: ${printable(reason)}`, 'exit 1']);
}

function agentScript(
  title: string,
  mac: string,
  boot: { kernelUrl: string; ramdiskUrl: string; kernelParams: string[] },
  options: ScriptOptions,
  what = 'the agent',
): string {
  const attempts = boundedInteger('fetchAttempts', options.fetchAttempts ?? DEFAULT_ATTEMPTS, 1, 100);
  const delay = boundedInteger('retryDelaySeconds', options.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_S, 0, 3600);
  const kernelUrl = httpUrl('kernelUrl', boot.kernelUrl);
  const ramdiskUrl = httpUrl('ramdiskUrl', boot.ramdiskUrl);
  const params = [...kernelParams(boot.kernelParams), bootifParam(mac), `initrd=${RAMDISK_NAME}`];
  return script(title, [
    'set attempt:int32 0',
    ':retry',
    `iseq \${attempt} ${attempts} && goto failed ||`,
    'inc attempt',
    // A failed try may have left a kernel loaded; the next one starts clean.
    'imgfree',
    `kernel --name ${KERNEL_NAME} ${kernelUrl} ${params.join(' ')} || goto wait`,
    `initrd --name ${RAMDISK_NAME} ${ramdiskUrl} || goto wait`,
    'boot || goto wait',
    ':wait',
    `echo Anvil: fetching ${what} failed, attempt \${attempt} of ${attempts}`,
    ...(delay > 0 ? [`sleep ${delay}`] : []),
    'goto retry',
    ':failed',
    `echo Anvil: no ${what.replace(/^the /, '')} after ${attempts} attempts, leaving the boot to the next device`,
    'exit 1',
  ]);
}

function localDiskScript(title: string, bootMode: BootMode | null): string {
  const sanboot = 'sanboot --no-describe --drive 0x80 || exit';
  switch (bootMode) {
    case 'uefi':
      return script(title, ['exit']);
    case 'bios':
      return script(title, [sanboot]);
    case null:
      // The mode is unknown to Anvil but not to iPXE: decide at boot time.
      return script(title, ['iseq ${platform} efi && exit ||', sanboot]);
  }
}

function script(title: string, lines: string[]): string {
  return [HEADER, `# Anvil: ${printable(title)}`, ...lines, ''].join('\n');
}

function kernelParams(params: string[]): string[] {
  for (const [index, param] of params.entries()) {
    if (!WORD.test(param))
      throw new IpxeScriptError(
        `kernelParams[${index}]`,
        'must be one word of printable characters (iPXE has no quoting)',
      );
    // iPXE ends a command at a word that is exactly ||, && or ;, and drops the rest of the line from a word
    // starting with #: either would run what follows as a command of its own, or lose the `|| goto wait` retry.
    if (COMMAND_TERMINATORS.has(param) || param.startsWith('#'))
      throw new IpxeScriptError(
        `kernelParams[${index}]`,
        'is an iPXE command separator (||, &&, ;) or starts a comment (#...)',
      );
    const reserved = RESERVED_PARAMS.find((prefix) => param.startsWith(prefix));
    if (reserved)
      throw new IpxeScriptError(
        `kernelParams[${index}]`,
        `sets ${reserved.slice(0, -1)}, which the script derives itself`,
      );
  }
  return params;
}

function httpUrl(field: string, value: string): string {
  if (!WORD.test(value)) throw new IpxeScriptError(field, 'must be a URL without spaces or control characters');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new IpxeScriptError(field, 'is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new IpxeScriptError(field, 'must be http or https');
  return value;
}

function boundedInteger(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new IpxeScriptError(field, `must be an integer from ${min} to ${max}`);
  return value;
}

/**
 * Comment and echo text: one line, no control characters, no `${` an iPXE would expand, and no word iPXE
 * would read as the end of the echo (||, &&, ;) or the start of a comment (#).
 */
function printable(text: string): string {
  return text
    .replace(/[\x00-\x1f\x7f]+/g, ' ')
    .replaceAll('${', '$ {')
    .split(' ')
    .map((word) => (COMMAND_TERMINATORS.has(word) || word.startsWith('#') ? `'${word}'` : word))
    .join(' ');
}
