// Booting from the local disk: if the agent wrote an image there with a
// bootloader for the mode the firmware boots in, the host "runs its OS",
// which reads the config drive beside it the way cloud-init does and keeps
// what it found (hostname, addresses, keys, user data) for the control API.
// A disk with no image, or whose bootloader is for the other mode (a UEFI
// firmware finds no EFI system partition on a BIOS-only disk, and the
// other way round), is "no bootable device".
import { readConfigDrive, type ConfigDriveView, type HostDisk } from '../../agent/index.js';
import type { BootMode } from '../types.js';
import type { BootContext } from './boot-context.js';

const MODE_NAMES: Readonly<Record<BootMode, string>> = { uefi: 'UEFI', legacy: 'legacy BIOS' };

export async function bootInstalledOs(ctx: BootContext, disk: HostDisk, mode: BootMode): Promise<boolean> {
  const { host } = ctx;
  const contents = host.disk;
  if (contents === null) {
    ctx.record('os', disk.dir, 'failed', 'no bootable device: the disk holds no operating system');
    return false;
  }
  if (contents.bootMode !== mode) {
    ctx.record(
      'os',
      contents.path,
      'failed',
      `no bootable device: the firmware boots in ${MODE_NAMES[mode]} mode, but the bootloader on ${contents.device} is for ${MODE_NAMES[contents.bootMode]}`,
    );
    return false;
  }
  let view: ConfigDriveView | null = null;
  let note = 'no config drive';
  try {
    const iso = await disk.readConfigDrive();
    if (iso !== null) {
      view = await readConfigDrive(iso);
      note = `hostname ${view.hostname ?? '(none)'}, addresses ${view.addresses.map((a) => `${a.address}/${a.prefix ?? '?'}`).join(', ') || '(none)'}`;
    }
  } catch (err) {
    ctx.throwIfStopped();
    note = `config drive unreadable: ${err instanceof Error ? err.message : String(err)}`;
  }
  ctx.throwIfStopped();
  host.setOs({
    bootedAt: new Date().toISOString(),
    running: true,
    hostname: view?.hostname ?? null,
    uuid: view?.uuid ?? null,
    addresses: view?.addresses ?? [],
    dnsServers: view?.dnsServers ?? [],
    publicKeys: view?.publicKeys ?? [],
    userData: view?.userData ?? null,
  });
  ctx.record(
    'os',
    contents.configDrivePath ?? contents.path,
    'ok',
    `booted the image from ${contents.imageUrl}; ${note}`,
  );
  return true;
}
