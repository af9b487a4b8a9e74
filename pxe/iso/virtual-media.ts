/**
 * The Redfish virtual media path (DESIGN decision 9): a bootable ISO that
 * carries the agent kernel and ramdisk, a GRUB configuration with the kernel
 * parameters, and optionally the node's config drive, so a host boots the
 * agent with no DHCP or PXE at all.
 *
 * Built with Debian's GRUB through `grub-mkrescue` (packages grub-common,
 * grub-efi-amd64-bin, grub-pc-bin, mtools, xorriso): it makes one hybrid ISO
 * that boots on UEFI (an El Torito EFI System Partition image holding GRUB)
 * and on BIOS (GRUB's El Torito no-emulation image). iPXE cannot do this job
 * here: Debian's ipxe.efi runs no embedded script and cannot read files from
 * the ISO, so it would still need the network. As in Ironic, when config drive
 * files are on the ISO its label is `config-2`, which is how cloud-init, glean
 * and ironic-python-agent find network data on a DHCP-less host; otherwise
 * it is `VMEDIA_BOOT_ISO`.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CONFIG_DRIVE_LABEL,
  configDriveFiles,
  type ConfigDrive,
  type ConfigDriveDefaults,
} from '../configdrive/index.js';
import { VirtualMediaError } from './errors.js';
import { KERNEL_IN_ISO, RAMDISK_IN_ISO, renderGrubConfig } from './grub-config.js';

export const VMEDIA_LABEL = 'VMEDIA_BOOT_ISO';

export interface VirtualMediaOptions {
  kernelPath: string;
  ramdiskPath: string;
  kernelParams: string[];
  /** The node's config drive, validated (`parseConfigDrive`): its files go on the ISO and the label becomes `config-2`. */
  configDrive?: ConfigDrive;
  /** `meta_data` uuid and name, filled in as Ironic's conductor does when the drive lacks them. */
  configDriveDefaults?: ConfigDriveDefaults;
  outPath: string;
  /** The program to run; tests and unusual installs point elsewhere. */
  grubMkrescue?: string;
  /** One GRUB platform directory to boot with (`/usr/lib/grub/arm64-efi`); default: every platform installed. */
  platformDir?: string;
  /** grub-mkrescue takes about a second; a hung one must not hold a deploy. */
  timeoutMs?: number;
}

export interface VirtualMediaIso {
  path: string;
  bytes: number;
  volumeId: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

export async function buildVirtualMediaIso(options: VirtualMediaOptions): Promise<VirtualMediaIso> {
  // Real paths: grafting a symlink would put a symlink on the ISO (pointing off it), not the file.
  const [kernel, ramdisk] = await Promise.all(
    [
      ['kernel', options.kernelPath],
      ['ramdisk', options.ramdiskPath],
    ].map(async ([what, file]) => {
      try {
        const real = await realpath(file!);
        await access(real, constants.R_OK);
        return real;
      } catch {
        throw new VirtualMediaError(`${what} ${file} is not readable`);
      }
    }),
  );
  const grubConfig = renderGrubConfig(options.kernelParams);
  const volumeId = options.configDrive ? CONFIG_DRIVE_LABEL : VMEDIA_LABEL;
  const staging = await mkdtemp(path.join(tmpdir(), 'anvil-vmedia-'));
  try {
    await mkdir(path.join(staging, 'boot', 'grub'), { recursive: true });
    await writeFile(path.join(staging, 'boot', 'grub', 'grub.cfg'), grubConfig);
    if (options.configDrive) {
      for (const file of configDriveFiles(options.configDrive, options.configDriveDefaults)) {
        await mkdir(path.join(staging, path.dirname(file.path)), { recursive: true });
        await writeFile(path.join(staging, file.path), file.data);
      }
    }
    // Graft points put the (large) kernel and ramdisk into the ISO without copying them into the staging tree.
    const args = [
      ...(options.platformDir !== undefined ? ['--directory', options.platformDir] : []),
      '--output',
      options.outPath,
      // No translations, themes or fonts: a serial/text console needs none, and the ISO shrinks from ~20 to ~9 MiB of GRUB.
      '--locales=',
      '--themes=',
      '--fonts=',
      staging,
      `${KERNEL_IN_ISO.slice(1)}=${kernel}`,
      `${RAMDISK_IN_ISO.slice(1)}=${ramdisk}`,
      // Native xorriso commands: the label, and Joliet so Windows-side tools and readIso9660 see real names too.
      '--',
      '-volid',
      volumeId,
      '-joliet',
      'on',
    ];
    await run(options.grubMkrescue ?? 'grub-mkrescue', args, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const { size } = await stat(options.outPath);
  return { path: options.outPath, bytes: size, volumeId };
}

function run(program: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      // Keep the tail: the cause is in the last lines.
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new VirtualMediaError(
          error.code === 'ENOENT'
            ? `${program} not found; install Debian packages grub-common grub-efi-amd64-bin grub-pc-bin mtools xorriso`
            : `${program} could not start: ${error.message}`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new VirtualMediaError(
            `${program} ${signal ? `was killed (${signal}, timeout ${timeoutMs} ms)` : `exited ${code}`}: ${stderr.trim()}`,
          ),
        );
    });
  });
}
