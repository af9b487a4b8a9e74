import { describe, expect, it } from 'vitest';
import { bootFields, chooseBoot } from '../../../../pxe/dhcp/boot-file.js';
import { BOOT, KNOWN_MAC, pxeClass } from './fixtures.js';

describe('boot file choice', () => {
  it.each([
    ['x86 BIOS (arch 0)', 0, 'undionly.kpxe'],
    ['EFI byte code x86-64 (arch 7)', 7, 'ipxe.efi'],
    ['UEFI x86-64 (arch 9)', 9, 'ipxe.efi'],
    ['UEFI arm64 (arch 11)', 11, 'arm64/ipxe.efi'],
  ])('gives a %s PXE client %s over TFTP from next-server', (_, arch, file) => {
    expect(chooseBoot(pxeClass(arch), KNOWN_MAC, BOOT)).toEqual({ kind: 'tftp', arch, nextServer: '192.0.2.1', file });
  });

  it('serves snponly.efi to UEFI x86-64 when configured', () => {
    expect(chooseBoot(pxeClass(9), KNOWN_MAC, { ...BOOT, uefiX64File: 'snponly.efi' })).toMatchObject({
      file: 'snponly.efi',
    });
  });

  it('treats a PXE client without option 93 as BIOS', () => {
    expect(chooseBoot({ vendorClass: 'PXEClient' }, KNOWN_MAC, BOOT)).toMatchObject({ file: 'undionly.kpxe' });
  });

  it.each([
    ['IA32 UEFI (6)', 6],
    ['x86-64 UEFI HTTP boot (16)', 16],
  ])('gives an unsupported architecture, %s, nothing', (_, arch) => {
    expect(chooseBoot(pxeClass(arch), KNOWN_MAC, BOOT)).toBeNull();
  });

  it.each([
    ['iPXE as bare text, as iPXE sends it', Buffer.from('iPXE')],
    ['iPXE as an RFC 3004 instance', Buffer.from([4, ...Buffer.from('iPXE')])],
  ])('sends an iPXE client (user class %s) to its per-MAC HTTP script', (_, userClass) => {
    expect(chooseBoot({ ...pxeClass(9), userClass }, KNOWN_MAC, BOOT)).toEqual({
      kind: 'ipxe-script',
      nextServer: '192.0.2.1',
      url: 'http://192.0.2.1:8080/boot/52:54:00:12:34:56.ipxe',
    });
  });

  it.each([
    ['no option 60', {}],
    ['a non-PXE vendor class', { vendorClass: 'udhcp 1.35.0' }],
    ['HTTPClient', { vendorClass: 'HTTPClient:Arch:00016' }],
  ])('gives a client with %s no boot options', (_, options) => {
    expect(chooseBoot({ ...options, clientArch: [0] }, KNOWN_MAC, BOOT)).toBeNull();
  });

  it('puts the choice in siaddr, file, options 66/67, 60 PXEClient and 43 discovery control, echoing 97', () => {
    const uuid = Buffer.from([0, ...Array.from({ length: 16 }, (_, i) => i)]);
    const choice = chooseBoot(pxeClass(0), KNOWN_MAC, BOOT)!;
    expect(bootFields(choice, { clientUuid: uuid })).toEqual({
      siaddr: '192.0.2.1',
      file: 'undionly.kpxe',
      options: {
        tftpServer: '192.0.2.1',
        bootfile: 'undionly.kpxe',
        vendorClass: 'PXEClient',
        vendorSpecific: Buffer.from([6, 1, 8, 255]),
        clientUuid: uuid,
      },
    });
  });

  it('leaves the file field empty when a script URL does not fit its 127 octets, keeping option 67', () => {
    const long = { ...BOOT, ipxeScriptUrl: `http://anvil.example/${'x'.repeat(120)}/{mac}.ipxe` };
    const fields = bootFields(chooseBoot({ ...pxeClass(0), userClass: Buffer.from('iPXE') }, KNOWN_MAC, long)!, {});
    expect(fields.file).toBe('');
    expect(fields.options.bootfile).toMatch(/52:54:00:12:34:56\.ipxe$/);
  });
});
