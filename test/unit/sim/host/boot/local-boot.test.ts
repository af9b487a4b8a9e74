// Booting the installed OS from disk: the firmware's mode must match the
// bootloader the agent installed, or the machine finds nothing to boot, as
// a UEFI firmware finds no EFI system partition on a BIOS-only disk.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostDisk } from '../../../../../sim/agent/index.js';
import { bootContext } from '../../../../../sim/host/boot/boot-context.js';
import { resolveBootConfig } from '../../../../../sim/host/boot/boot-config.js';
import { bootInstalledOs } from '../../../../../sim/host/boot/local-boot.js';
import { SimHost, hostSpec, type BootMode } from '../../../../../sim/host/index.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-local-boot-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function hostWithImage(bootMode: BootMode): Promise<{ host: SimHost; disk: HostDisk }> {
  const host = new SimHost(hostSpec(0, `local-${bootMode}-`, 2, 1));
  const disk = new HostDisk(join(dir, host.name));
  const path = disk.imagePathOf('/dev/sda');
  await disk.beginWrite('/dev/sda').then(async (write) => {
    await write.append(Buffer.from('an installed OS'));
    await write.commit();
  });
  host.setDisk({
    path,
    imageUrl: 'http://images.invalid/os.img',
    bytes: 15,
    sha256: '0'.repeat(64),
    writtenAt: new Date().toISOString(),
    configDrivePath: null,
    device: '/dev/sda',
    bootMode,
  });
  return { host, disk };
}

function boot(host: SimHost, disk: HostDisk, mode: BootMode): Promise<boolean> {
  const ctx = bootContext(host, resolveBootConfig({ httpUrl: 'http://127.0.0.1:9' }), new AbortController().signal);
  return bootInstalledOs(ctx, disk, mode);
}

describe('booting the installed OS', () => {
  it.each<BootMode>(['uefi', 'legacy'])('boots a disk whose bootloader is for %s in that mode', async (mode) => {
    const { host, disk } = await hostWithImage(mode);
    expect(await boot(host, disk, mode)).toBe(true);
    expect(host.os?.running).toBe(true);
  });

  it('finds no bootable device when the firmware boots in the other mode, and says so', async () => {
    const { host, disk } = await hostWithImage('legacy');
    expect(await boot(host, disk, 'uefi')).toBe(false);
    expect(host.os).toBeNull();
    expect(host.bootSteps.at(-1)).toMatchObject({
      kind: 'os',
      outcome: 'failed',
      detail: 'no bootable device: the firmware boots in UEFI mode, but the bootloader on /dev/sda is for legacy BIOS',
    });
  });
});
