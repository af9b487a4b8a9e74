/**
 * `GET /boot/<mac>.ipxe`: the per-host script, rendered from what the
 * backend says now. An unknown MAC gets the unknown-host script (exit, or
 * discovery when enabled) with 200, never an error: iPXE treats a failed
 * chain as a boot failure and the firmware would retry the network forever.
 */
import type { BootBackend, BootHost } from '../backend.js';
import {
  IpxeScriptError,
  renderErrorScript,
  renderHostScript,
  renderUnknownHostScript,
  type BootMode,
  type ScriptOptions,
  type UnknownHostPolicy,
} from '../ipxe/index.js';

export interface ScriptAnswer {
  status: 200 | 503;
  body: string;
  /** Whether a node's script (not the unknown-host one) was served: only those go into node history. */
  known: boolean;
  /** Why the host got the error script, for the observer. */
  renderError?: IpxeScriptError;
}

export interface ScriptContext {
  backend: BootBackend;
  unknownHosts: UnknownHostPolicy;
  script: ScriptOptions;
  /** Where this server's `/boot-files/` are reached, ending in `/`: the base of kernel and ramdisk paths. */
  bootFilesUrl: string;
}

/** iPXE's `${platform}` values, which a script URL may pass as `?platform=`. */
const PLATFORMS: Record<string, BootMode> = { pcbios: 'bios', efi: 'uefi' };

export function bootModeOf(platform: string | null): BootMode | null {
  return platform === null ? null : (PLATFORMS[platform] ?? null);
}

export async function answerScript(
  mac: string,
  bootMode: BootMode | null,
  context: ScriptContext,
): Promise<ScriptAnswer> {
  let host: BootHost | null;
  try {
    host = await context.backend.getByMac(mac);
  } catch {
    // The store is down, so Anvil cannot know what this host should boot and must not guess (an exit
    // could boot a half-written disk mid-deploy). iPXE shows the status and the boot fails like any network failure.
    return { status: 503, body: 'boot backend unavailable\n', known: false };
  }
  try {
    if (!host)
      return { status: 200, body: renderUnknownHostScript(mac, context.unknownHosts, context.script), known: false };
    return {
      status: 200,
      body: renderHostScript(withBootFileUrls(host, context.bootFilesUrl), bootMode, context.script),
      known: true,
    };
  } catch (error) {
    if (!(error instanceof IpxeScriptError)) throw error;
    return { status: 200, body: renderErrorScript(mac, error.message), known: host !== null, renderError: error };
  }
}

/** A kernel and ramdisk (the agent's, or a ramdisk instance's) given as paths are this server's boot files. */
function withBootFileUrls(host: BootHost, bootFilesUrl: string): BootHost {
  if (host.boot.kind !== 'agent' && host.boot.kind !== 'ramdisk') return host;
  const resolve = (location: string) =>
    /^https?:\/\//.test(location) ? location : `${bootFilesUrl}${location.replace(/^\/+/, '')}`;
  return {
    ...host,
    boot: { ...host.boot, kernelUrl: resolve(host.boot.kernelUrl), ramdiskUrl: resolve(host.boot.ramdiskUrl) },
  };
}
