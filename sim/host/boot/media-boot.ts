// A virtual-media boot: the BMC presents an ISO and the host boots it with
// no DHCP and no TFTP. The host reads the ISO over HTTP by Range requests,
// a few sectors at a time, finds its boot loader's config (grub.cfg for
// UEFI, isolinux.cfg for BIOS, where Ironic's agent ISOs carry the kernel
// command line) and boots the agent with those parameters; when the ISO
// names none, the configured mediaKernelParams stand in, and without them a
// boot config naming no agent is a live ISO whose kernel is the OS. A UEFI
// HTTP boot reads the ISO the same way, from the URI the BMC set; only the
// record says which way it came.
import { IsoImage, rangeRead } from '../../agent/index.js';
import type { BootContext } from './boot-context.js';

/** Where agent ISOs keep their boot loader config, in the order a host looks. */
const BOOT_CONFIGS: ReadonlyArray<{ path: string; syntax: 'grub' | 'isolinux' }> = [
  { path: 'EFI/BOOT/grub.cfg', syntax: 'grub' },
  { path: 'boot/grub/grub.cfg', syntax: 'grub' },
  { path: 'isolinux/isolinux.cfg', syntax: 'isolinux' },
];
const MAX_BOOT_CONFIG_BYTES = 64 * 1024;

export type MediaOutcome = { kind: 'kernel'; args: string[] } | { kind: 'next-device' };

/** How the ISO reached the firmware: a virtual CD, or fetched over UEFI HTTP boot. */
export type MediaVia = 'media' | 'uefi-http';

export async function mediaBoot(ctx: BootContext, imageUrl: string, via: MediaVia = 'media'): Promise<MediaOutcome> {
  const { config } = ctx;
  let reads = 0;
  let found: { path: string; args: string[] } | null = null;
  try {
    const iso = await IsoImage.open(async (offset, length) => {
      reads += 1;
      const read = await rangeRead(imageUrl, {
        start: offset,
        length,
        timeoutMs: config.httpTimeoutMs,
        signal: ctx.signal,
      });
      return read.body;
    });
    for (const candidate of BOOT_CONFIGS) {
      const text = await iso.readFile(candidate.path, MAX_BOOT_CONFIG_BYTES);
      if (text === null) continue;
      const args = kernelArgsFromBootConfig(text.toString('utf8'), candidate.syntax);
      if (args !== null) {
        found = { path: candidate.path, args };
        break;
      }
    }
  } catch (err) {
    ctx.throwIfStopped();
    ctx.record(via, imageUrl, 'failed', `not a readable ISO: ${err instanceof Error ? err.message : String(err)}`);
    if (config.mediaKernelParams.length === 0) return { kind: 'next-device' };
    return { kind: 'kernel', args: config.mediaKernelParams };
  }
  if (found !== null && found.args.some((a) => a.startsWith('ipa-api-url='))) {
    ctx.record(via, imageUrl, 'ok', `ISO read in ${reads} range requests; kernel parameters from ${found.path}`);
    return { kind: 'kernel', args: found.args };
  }
  if (config.mediaKernelParams.length > 0) {
    ctx.record(
      via,
      imageUrl,
      'ok',
      `ISO read in ${reads} range requests; no ipa-api-url in its boot config, configured parameters used`,
    );
    return { kind: 'kernel', args: config.mediaKernelParams };
  }
  if (found !== null) {
    // A live ISO (a ramdisk deploy's boot_iso): its kernel is the OS, and the host runs it as such.
    ctx.record(via, imageUrl, 'ok', `ISO read in ${reads} range requests; no agent in ${found.path}, booting its OS`);
    return { kind: 'kernel', args: found.args };
  }
  ctx.record(via, imageUrl, 'failed', 'the ISO has no boot config and no mediaKernelParams are configured');
  return { kind: 'next-device' };
}

/**
 * The kernel command line of a boot loader config: the first `linux` (or
 * `linuxefi`) line's words after the kernel path for grub, the first
 * `append` line's for isolinux (less its `initrd=`). Pure.
 */
export function kernelArgsFromBootConfig(text: string, syntax: 'grub' | 'isolinux'): string[] | null {
  for (const raw of text.split(/\r?\n/)) {
    const words = raw.trim().split(/\s+/);
    const [keyword, ...rest] = words;
    if (syntax === 'grub' && (keyword === 'linux' || keyword === 'linuxefi')) return rest.slice(1);
    if (syntax === 'isolinux' && keyword?.toLowerCase() === 'append')
      return rest.filter((w) => !w.startsWith('initrd='));
  }
  return null;
}
