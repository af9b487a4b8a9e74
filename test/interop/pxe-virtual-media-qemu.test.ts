import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildVirtualMediaIso } from '../../pxe/iso/index.js';
import { requireTool } from './tools.js';

// Firmware → El Torito → GRUB → Anvil's grub.cfg → kernel and ramdisk read
// from the ISO, on SeaBIOS and on OVMF (UEFI), under QEMU TCG. The kernel is
// Debian's ipxe.lkrn, a bzImage that stands in for the agent kernel (no Linux
// kernel package is installed here): what is proven is that both firmwares
// boot the ISO's GRUB and that GRUB loads both files Anvil put there without
// error, from the serial console GRUB writes to.
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const work = mkdtempSync(join(tmpdir(), 'anvil-vmedia-qemu-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// ipxe.lkrn comes with the `ipxe` package the install script installs.
const ready =
  requireTool('qemu-system-x86_64') && requireTool('grub-mkrescue') && existsSync('/usr/lib/ipxe/ipxe.lkrn');

/** Runs QEMU until GRUB has loaded both files (or `ms` passes) and returns the serial log, escape codes removed. */
async function bootSerial(iso: string, firmware: string[], ms: number): Promise<string> {
  const log = join(work, `serial-${firmware.length}.log`);
  writeFileSync(log, '');
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      '-accel',
      'tcg',
      '-m',
      '256',
      '-no-reboot',
      '-display',
      'none',
      '-monitor',
      'none',
      '-net',
      'none',
      '-serial',
      `file:${log}`,
      ...firmware,
      '-cdrom',
      iso,
    ],
    { stdio: 'ignore' },
  );
  const read = () =>
    readFileSync(log, 'latin1')
      .replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '')
      .replace(/\r/g, '');
  try {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && qemu.exitCode === null) {
      if (read().includes('Anvil: loading the agent ramdisk')) {
        // Let GRUB finish the initrd command and hand over.
        await new Promise((r) => setTimeout(r, 2000));
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return read();
  } finally {
    qemu.kill('SIGKILL');
  }
}

describe.runIf(ready)('virtual media ISO under QEMU', () => {
  let iso = '';

  it('builds', async () => {
    const ramdisk = join(work, 'ramdisk');
    writeFileSync(ramdisk, '#!ipxe\nexit\n');
    iso = (
      await buildVirtualMediaIso({
        kernelPath: realpathSync('/usr/lib/ipxe/ipxe.lkrn'),
        ramdiskPath: ramdisk,
        kernelParams: ['console=ttyS0'],
        outPath: join(work, 'vmedia.iso'),
      })
    ).path;
  });

  it('boots GRUB on SeaBIOS, which loads the kernel and ramdisk from the ISO', async () => {
    const serial = await bootSerial(iso, [], 90_000);
    expect(serial).toContain('Anvil: loading the agent kernel');
    expect(serial).toContain('Anvil: loading the agent ramdisk');
    expect(serial).not.toMatch(/error: /);
  });

  it.runIf(existsSync(OVMF_CODE))(
    'boots GRUB on OVMF (UEFI), which loads the kernel and ramdisk from the ISO',
    async () => {
      const vars = join(work, 'vars.fd');
      copyFileSync(OVMF_VARS, vars);
      const serial = await bootSerial(
        iso,
        [
          '-machine',
          'q35',
          '-drive',
          `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
          '-drive',
          `if=pflash,format=raw,file=${vars}`,
        ],
        120_000,
      );
      expect(serial).toContain('Anvil: loading the agent kernel');
      expect(serial).toContain('Anvil: loading the agent ramdisk');
      // GRUB on a firmware without a graphics mode warns "no suitable video mode" and boots on; anything else is a failure.
      expect(serial.split('\n').filter((line) => /error: /.test(line) && !/no suitable video mode/.test(line))).toEqual(
        [],
      );
    },
  );
});
