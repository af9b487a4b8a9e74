import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../../services/config/index.js';

function yamlFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'anvil-cfg-')), 'anvil.yaml');
  writeFileSync(file, text);
  return file;
}

describe('agent image settings (Ironic [conductor] deploy_*, rescue_*)', () => {
  it('reads per-arch images from arch:image pairs, a URL keeping the colons after the first', () => {
    const c = loadConfig({
      ANVIL_DEPLOY_KERNEL_BY_ARCH: ' aarch64:http://images:8080/arm64/ipa.kernel , x86_64:ipa.kernel,',
      ANVIL_DEPLOY_RAMDISK_BY_ARCH: 'aarch64:arm64/ipa.initramfs,x86_64:ipa.initramfs',
    });
    expect(c.agentImages.deployKernelByArch).toEqual({
      aarch64: 'http://images:8080/arm64/ipa.kernel',
      x86_64: 'ipa.kernel',
    });
    expect(c.agentImages.deployRamdiskByArch).toEqual({ aarch64: 'arm64/ipa.initramfs', x86_64: 'ipa.initramfs' });
  });

  it('reads per-arch images and default pairs from YAML mappings under conductor', () => {
    const file = yamlFile(
      [
        'conductor:',
        '  deploy_kernel: ipa.kernel',
        '  deploy_ramdisk: https://images/ipa.initramfs',
        '  rescue_kernel_by_arch:',
        '    aarch64: arm64/rescue.kernel',
        '  rescue_ramdisk_by_arch:',
        '    aarch64: arm64/rescue.initramfs',
        '',
      ].join('\n'),
    );
    const c = loadConfig({ ANVIL_CONFIG: file });
    expect(c.agentImages).toMatchObject({
      deployKernel: 'ipa.kernel',
      deployRamdisk: 'https://images/ipa.initramfs',
      rescueKernelByArch: { aarch64: 'arm64/rescue.kernel' },
      rescueRamdiskByArch: { aarch64: 'arm64/rescue.initramfs' },
    });
  });

  it.each([
    [{ ANVIL_DEPLOY_KERNEL_BY_ARCH: 'aarch64' }, 'ANVIL_DEPLOY_KERNEL_BY_ARCH: must be arch:image pairs'],
    [{ ANVIL_DEPLOY_KERNEL_BY_ARCH: ':ipa.kernel' }, 'ANVIL_DEPLOY_KERNEL_BY_ARCH: must be arch:image pairs'],
    [
      { ANVIL_RESCUE_RAMDISK_BY_ARCH: 'arm$64:r', ANVIL_RESCUE_KERNEL_BY_ARCH: 'arm$64:k' },
      'ANVIL_RESCUE_KERNEL_BY_ARCH: architectures are words',
    ],
    [
      { ANVIL_DEPLOY_KERNEL_BY_ARCH: 'aarch64:ftp://images/k' },
      'ANVIL_DEPLOY_KERNEL_BY_ARCH: must be an http(s) URL or a path under the boot files directory',
    ],
    [
      { ANVIL_DEPLOY_KERNEL: 'glance://abc', ANVIL_DEPLOY_RAMDISK: 'r' },
      'ANVIL_DEPLOY_KERNEL: must be an http(s) URL or a path',
    ],
  ])('refuses %j, naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(`invalid configuration ${message}`);
  });

  it('refuses a kernel without its ramdisk, and an arch in one map only', () => {
    expect(() => loadConfig({ ANVIL_DEPLOY_KERNEL: 'ipa.kernel' })).toThrow(
      'invalid configuration ANVIL_DEPLOY_KERNEL: needs ANVIL_DEPLOY_RAMDISK too',
    );
    expect(() => loadConfig({ ANVIL_RESCUE_RAMDISK: 'rescue.initramfs' })).toThrow(
      'invalid configuration ANVIL_RESCUE_RAMDISK: needs ANVIL_RESCUE_KERNEL too',
    );
    expect(() =>
      loadConfig({
        ANVIL_DEPLOY_KERNEL_BY_ARCH: 'aarch64:k,x86_64:k',
        ANVIL_DEPLOY_RAMDISK_BY_ARCH: 'aarch64:r',
      }),
    ).toThrow('invalid configuration ANVIL_DEPLOY_KERNEL_BY_ARCH: x86_64 has no entry in ANVIL_DEPLOY_RAMDISK_BY_ARCH');
    expect(() => loadConfig({ ANVIL_RESCUE_RAMDISK_BY_ARCH: 'aarch64:r' })).toThrow(
      'invalid configuration ANVIL_RESCUE_RAMDISK_BY_ARCH: aarch64 has no entry in ANVIL_RESCUE_KERNEL_BY_ARCH',
    );
  });
});

describe('boot loader settings', () => {
  it('reads the loader names DHCP gives BIOS, UEFI x86-64 and UEFI arm64 clients', () => {
    const c = loadConfig({
      ANVIL_BIOS_BOOT_FILE: 'undionly.kkpxe',
      ANVIL_UEFI_BOOT_FILE: 'snponly.efi',
      ANVIL_UEFI_ARM64_BOOT_FILE: 'aa64/snp.efi',
    });
    expect(c.boot).toMatchObject({
      biosBootFile: 'undionly.kkpxe',
      uefiBootFile: 'snponly.efi',
      uefiArm64BootFile: 'aa64/snp.efi',
    });
  });

  it.each([
    ['../etc/shadow', 'must stay inside the TFTP root'],
    ['arm64/../../x.efi', 'must stay inside the TFTP root'],
    ['my loader.efi', 'must be a file name under the TFTP root, without spaces'],
  ])('refuses the arm64 loader name %j', (name, message) => {
    expect(() => loadConfig({ ANVIL_UEFI_ARM64_BOOT_FILE: name })).toThrow(
      `invalid configuration ANVIL_UEFI_ARM64_BOOT_FILE: ${message}`,
    );
  });
});
