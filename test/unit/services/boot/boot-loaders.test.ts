import { describe, expect, it } from 'vitest';
import { bootLoaderFiles, tftpLoaderFiles } from '../../../../services/boot/boot-loaders.js';
import { loadConfig } from '../../../../services/config/index.js';

describe('the boot loaders DHCP names and TFTP serves', () => {
  it("names Debian's binaries for BIOS and UEFI x86-64, and arm64/ipxe.efi for UEFI arm64, by default", () => {
    const boot = loadConfig({}).boot;
    expect(bootLoaderFiles(boot)).toEqual({
      biosFile: 'undionly.kpxe',
      uefiX64File: 'ipxe.efi',
      uefiArm64File: 'arm64/ipxe.efi',
    });
    expect(tftpLoaderFiles(boot)).toEqual({
      'undionly.kpxe': '/usr/lib/ipxe/undionly.kpxe',
      'ipxe.efi': '/usr/lib/ipxe/ipxe.efi',
      'snponly.efi': '/usr/lib/ipxe/snponly.efi',
      'arm64/ipxe.efi': '/usr/lib/ipxe/arm64/ipxe.efi',
    });
  });

  it('serves each configured loader from the TFTP root, beside the Debian binaries', () => {
    const boot = loadConfig({
      ANVIL_TFTP_ROOT: '/srv/tftp',
      ANVIL_BIOS_BOOT_FILE: 'undionly.kkpxe',
      ANVIL_UEFI_BOOT_FILE: 'snponly.efi',
      ANVIL_UEFI_ARM64_BOOT_FILE: 'aa64/snp.efi',
    }).boot;
    expect(bootLoaderFiles(boot)).toEqual({
      biosFile: 'undionly.kkpxe',
      uefiX64File: 'snponly.efi',
      uefiArm64File: 'aa64/snp.efi',
    });
    expect(tftpLoaderFiles(boot)).toEqual({
      'undionly.kpxe': '/srv/tftp/undionly.kpxe',
      'ipxe.efi': '/srv/tftp/ipxe.efi',
      'snponly.efi': '/srv/tftp/snponly.efi',
      'undionly.kkpxe': '/srv/tftp/undionly.kkpxe',
      'aa64/snp.efi': '/srv/tftp/aa64/snp.efi',
    });
  });
});
