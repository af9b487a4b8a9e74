import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildVirtualMediaIso, VirtualMediaError } from '../../pxe/iso/index.js';
import { agentImagesFor, agentKernelParams, type AgentImageDefaults, type AgentImageKind } from '../boot/index.js';
import type { JsonObject, Node } from '../nodes/index.js';
import type { BootFileFetcher } from './boot-file-fetcher.js';
import { AgentIsoError } from './errors.js';

/** Where, under the boot files directory, built ISOs are published. */
const PUBLISHED_DIR = 'vmedia';

/** Where hosts and agents reach this process's servers; known once they listen. */
export interface PublishedUrls {
  /** The boot HTTP server as hosts (and their BMCs) reach it. */
  bootUrl: string;
  /** Where the agent reaches the API (`ipa-api-url`). */
  apiUrl: string;
}

export interface AgentIsoPublisherOptions {
  /** The boot HTTP server's `/boot-files/` directory: built ISOs are written under it. */
  bootFilesDir: string;
  fetcher: BootFileFetcher;
  agentImages: AgentImageDefaults;
  /** The node's network configuration, written onto the ISO for a host with no DHCP (Ironic's network_data injection). */
  networkDataOf(node: Node): Promise<JsonObject | null>;
  /** The program that builds the ISO; null when it is not installed here. */
  grubMkrescue: string | null;
  /** Whether this process runs the boot HTTP server, which `attach` announces once it listens. */
  servesBootFiles: boolean;
  /** Where GRUB keeps its platforms (Debian: /usr/lib/grub), one directory each (`x86_64-efi`, `arm64-efi`). */
  grubLibDir: string;
}

/**
 * The GRUB platform an agent ISO for each cpu_arch boots with; null: every
 * platform installed (BIOS and UEFI on x86). Other architectures have no
 * ISO built here.
 */
const GRUB_PLATFORM: Readonly<Record<string, string | null>> = { x86_64: null, aarch64: 'arm64-efi' };

/**
 * Builds the agent's boot ISO from its kernel and ramdisk when a node that
 * boots from an ISO names no `deploy_iso`, as Ironic's redfish boot
 * interfaces do (image_utils.prepare_deploy_iso): GRUB with the agent's
 * kernel command line, the node's network data as a config drive, published
 * on the boot HTTP server for the BMC to fetch, and withdrawn when the agent's
 * work is over.
 */
export class AgentIsoPublisher {
  private readonly urls: Promise<PublishedUrls>;
  private announce: (urls: PublishedUrls) => void = () => undefined;

  constructor(private readonly options: AgentIsoPublisherOptions) {
    // The conductor may start a step before the boot server listens: publishing waits for it.
    this.urls = new Promise((resolve) => (this.announce = resolve));
  }

  /** Called once this process's boot HTTP server and API listen. */
  attach(urls: PublishedUrls): void {
    this.announce(urls);
  }

  /** Why no ISO of `kind`'s agent can be built here for `node`, or null when one can. */
  problem(node: Node, kind: AgentImageKind): string | null {
    if (!this.options.servesBootFiles)
      return `building the agent ISO from ${kind}_kernel and ${kind}_ramdisk needs the boot HTTP server in the conductor's process (--role all); set driver_info/${kind}_iso instead`;
    if (this.options.grubMkrescue === null)
      return `building the agent ISO needs grub-mkrescue (Debian packages grub-common grub-efi-amd64-bin grub-pc-bin mtools xorriso); set driver_info/${kind}_iso instead`;
    if (agentImagesFor(node, kind, this.options.agentImages) === null)
      return `building the agent ISO needs the agent's ${kind}_kernel and ${kind}_ramdisk`;
    const platform = this.platformDir(node);
    if (platform === undefined)
      return `building an agent ISO for cpu_arch ${String(node.properties.cpu_arch)} is not supported; set driver_info/${kind}_iso instead`;
    if (platform !== null && !existsSync(platform))
      return `building the agent ISO for cpu_arch ${String(node.properties.cpu_arch)} needs GRUB's ${path.basename(platform)} platform (${platform}, Debian package grub-efi-${path.basename(platform).replace('-efi', '')}-bin); set driver_info/${kind}_iso instead`;
    return null;
  }

  /** The GRUB platform directory for the node's cpu_arch; null for all installed ones (x86, or no cpu_arch); undefined when none fits. */
  private platformDir(node: Node): string | null | undefined {
    const arch = node.properties.cpu_arch;
    if (arch === undefined || arch === null || arch === '') return null;
    if (typeof arch !== 'string' || !Object.hasOwn(GRUB_PLATFORM, arch)) return undefined;
    const platform = GRUB_PLATFORM[arch];
    if (platform === undefined) return undefined;
    return platform === null ? null : path.join(this.options.grubLibDir, platform);
  }

  /** Builds the node's ISO of `kind`'s agent and returns the URL its BMC fetches it from. */
  async publish(node: Node, kind: AgentImageKind): Promise<string> {
    const problem = this.problem(node, kind);
    if (problem !== null) throw new AgentIsoError(problem);
    const urls = await this.urls;
    const images = agentImagesFor(node, kind, this.options.agentImages)!;
    const [kernelPath, ramdiskPath] = await Promise.all([
      this.options.fetcher.localPath(images.kernel),
      this.options.fetcher.localPath(images.ramdisk),
    ]);
    const networkData = await this.options.networkDataOf(node);
    const dir = path.join(this.options.bootFilesDir, PUBLISHED_DIR);
    await mkdir(dir, { recursive: true });
    const name = isoName(node);
    // Built beside the published name, then renamed over it: a BMC fetching meanwhile never reads half an ISO.
    const building = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}`);
    try {
      await buildVirtualMediaIso({
        kernelPath,
        ramdiskPath,
        kernelParams: agentKernelParams(node, urls.apiUrl),
        ...(networkData !== null
          ? {
              configDrive: { metaData: null, networkData, userData: null, vendorData: null },
              configDriveDefaults: { uuid: node.uuid, name: node.name },
            }
          : {}),
        outPath: building,
        grubMkrescue: this.options.grubMkrescue!,
        ...(this.platformDir(node) ? { platformDir: this.platformDir(node)! } : {}),
      });
      await rename(building, path.join(dir, name));
    } catch (err) {
      await rm(building, { force: true });
      if (err instanceof VirtualMediaError) throw new AgentIsoError(err.reason);
      throw err;
    }
    return `${urls.bootUrl}/boot-files/${PUBLISHED_DIR}/${name}`;
  }

  /** Removes the node's published ISO, if there is one. */
  async withdraw(node: Node): Promise<void> {
    await rm(path.join(this.options.bootFilesDir, PUBLISHED_DIR, isoName(node)), { force: true });
  }
}

/** Ironic's name for a node's deploy ISO (image_utils._get_name with the `boot` prefix). */
function isoName(node: Node): string {
  return `boot-${node.uuid}.iso`;
}

/** The first `grub-mkrescue` on PATH, or null. */
export async function findGrubMkrescue(pathVar = process.env.PATH ?? ''): Promise<string | null> {
  for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'grub-mkrescue');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}
