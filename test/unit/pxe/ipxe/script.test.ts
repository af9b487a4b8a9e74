import { describe, expect, it } from 'vitest';
import type { BootAction } from '../../../../pxe/backend.js';
import {
  IpxeScriptError,
  normalizeMac,
  renderErrorScript,
  renderHostScript,
  renderUnknownHostScript,
} from '../../../../pxe/ipxe/index.js';

const mac = '52:54:00:12:34:56';
const nodeUuid = '1be26c0b-03f2-4d2e-ae87-c02d7f33c123';
const agent: BootAction = {
  kind: 'agent',
  kernelUrl: 'http://192.0.2.1:8080/boot-files/ipa.kernel',
  ramdiskUrl: 'http://192.0.2.1:8080/boot-files/ipa.initramfs',
  kernelParams: ['ipa-api-url=http://192.0.2.1:6385', 'console=ttyS0,115200n8', 'ipa-insecure=1'],
};

describe('iPXE scripts', () => {
  it('boots the agent with BOOTIF, a named initrd and a bounded retry loop', () => {
    expect(renderHostScript({ mac, nodeUuid, boot: agent }, null)).toMatchInlineSnapshot(`
      "#!ipxe
      # Anvil: agent ramdisk for 52:54:00:12:34:56, node 1be26c0b-03f2-4d2e-ae87-c02d7f33c123
      set attempt:int32 0
      :retry
      iseq \${attempt} 3 && goto failed ||
      inc attempt
      imgfree
      kernel --name kernel http://192.0.2.1:8080/boot-files/ipa.kernel ipa-api-url=http://192.0.2.1:6385 console=ttyS0,115200n8 ipa-insecure=1 BOOTIF=01-52-54-00-12-34-56 initrd=ramdisk || goto wait
      initrd --name ramdisk http://192.0.2.1:8080/boot-files/ipa.initramfs || goto wait
      boot || goto wait
      :wait
      echo Anvil: fetching the agent failed, attempt \${attempt} of 3
      sleep 5
      goto retry
      :failed
      echo Anvil: no agent after 3 attempts, leaving the boot to the next device
      exit 1
      "
    `);
  });

  it('honours the attempt count and drops the sleep when the delay is zero', () => {
    expect(renderHostScript({ mac, nodeUuid, boot: agent }, 'uefi', { fetchAttempts: 1, retryDelaySeconds: 0 }))
      .toMatchInlineSnapshot(`
      "#!ipxe
      # Anvil: agent ramdisk for 52:54:00:12:34:56, node 1be26c0b-03f2-4d2e-ae87-c02d7f33c123
      set attempt:int32 0
      :retry
      iseq \${attempt} 1 && goto failed ||
      inc attempt
      imgfree
      kernel --name kernel http://192.0.2.1:8080/boot-files/ipa.kernel ipa-api-url=http://192.0.2.1:6385 console=ttyS0,115200n8 ipa-insecure=1 BOOTIF=01-52-54-00-12-34-56 initrd=ramdisk || goto wait
      initrd --name ramdisk http://192.0.2.1:8080/boot-files/ipa.initramfs || goto wait
      boot || goto wait
      :wait
      echo Anvil: fetching the agent failed, attempt \${attempt} of 1
      goto retry
      :failed
      echo Anvil: no agent after 1 attempts, leaving the boot to the next device
      exit 1
      "
    `);
  });

  it('boots a BIOS host from its first disk with sanboot', () => {
    expect(renderHostScript({ mac, nodeUuid, boot: { kind: 'local-disk' } }, 'bios')).toMatchInlineSnapshot(`
      "#!ipxe
      # Anvil: local disk for 52:54:00:12:34:56, node 1be26c0b-03f2-4d2e-ae87-c02d7f33c123
      sanboot --no-describe --drive 0x80 || exit
      "
    `);
  });

  it('exits to the firmware boot manager for a UEFI local disk', () => {
    expect(renderHostScript({ mac, nodeUuid, boot: { kind: 'local-disk' } }, 'uefi')).toMatchInlineSnapshot(`
      "#!ipxe
      # Anvil: local disk for 52:54:00:12:34:56, node 1be26c0b-03f2-4d2e-ae87-c02d7f33c123
      exit
      "
    `);
  });

  it('lets iPXE pick sanboot or exit from ${platform} when the boot mode is unknown', () => {
    expect(renderHostScript({ mac, nodeUuid, boot: { kind: 'local-disk' } }, null)).toMatchInlineSnapshot(`
      "#!ipxe
      # Anvil: local disk for 52:54:00:12:34:56, node 1be26c0b-03f2-4d2e-ae87-c02d7f33c123
      iseq \${platform} efi && exit ||
      sanboot --no-describe --drive 0x80 || exit
      "
    `);
  });

  it('exits for a host with nothing to boot', () => {
    expect(renderHostScript({ mac, nodeUuid, boot: { kind: 'exit' } }, null)).toMatchInlineSnapshot(`
      "#!ipxe
      # Anvil: nothing to boot for 52:54:00:12:34:56, node 1be26c0b-03f2-4d2e-ae87-c02d7f33c123
      exit
      "
    `);
  });

  it('exits for an unknown host by default policy', () => {
    expect(renderUnknownHostScript(mac, { kind: 'exit' })).toMatchInlineSnapshot(`
      "#!ipxe
      # Anvil: unknown host 52:54:00:12:34:56
      exit
      "
    `);
  });

  it('boots the discovery agent for an unknown host when discovery is on', () => {
    const policy = {
      kind: 'discovery' as const,
      kernelUrl: 'http://192.0.2.1:8080/boot-files/ipa.kernel',
      ramdiskUrl: 'http://192.0.2.1:8080/boot-files/ipa.initramfs',
      kernelParams: ['ipa-inspection-callback-url=http://192.0.2.1:6385/v1/continue_inspection'],
    };
    expect(renderUnknownHostScript(mac, policy)).toMatchInlineSnapshot(`
      "#!ipxe
      # Anvil: discovery for unknown host 52:54:00:12:34:56
      set attempt:int32 0
      :retry
      iseq \${attempt} 3 && goto failed ||
      inc attempt
      imgfree
      kernel --name kernel http://192.0.2.1:8080/boot-files/ipa.kernel ipa-inspection-callback-url=http://192.0.2.1:6385/v1/continue_inspection BOOTIF=01-52-54-00-12-34-56 initrd=ramdisk || goto wait
      initrd --name ramdisk http://192.0.2.1:8080/boot-files/ipa.initramfs || goto wait
      boot || goto wait
      :wait
      echo Anvil: fetching the agent failed, attempt \${attempt} of 3
      sleep 5
      goto retry
      :failed
      echo Anvil: no agent after 3 attempts, leaving the boot to the next device
      exit 1
      "
    `);
  });

  it('explains on the console why a host cannot boot, without letting iPXE expand the text', () => {
    expect(renderErrorScript(mac, 'bad\nparam ${evil}')).toMatchInlineSnapshot(`
      "#!ipxe
      # Anvil: cannot boot 52:54:00:12:34:56
      echo Anvil: cannot boot 52:54:00:12:34:56: bad param $ {evil}
      exit 1
      "
    `);
  });

  it('starts every script with the #!ipxe header', () => {
    const scripts = [
      renderHostScript({ mac, nodeUuid, boot: agent }, 'bios'),
      renderHostScript({ mac, nodeUuid, boot: { kind: 'exit' } }, 'uefi'),
      renderUnknownHostScript(mac, { kind: 'exit' }),
      renderErrorScript(mac, 'x'),
    ];
    for (const text of scripts) expect(text.startsWith('#!ipxe\n')).toBe(true);
  });

  it.each([
    ['a parameter with a space', { ...agent, kernelParams: ['root=LABEL=my disk'] }, 'kernelParams[0]'],
    ['a parameter with a newline', { ...agent, kernelParams: ['a=1\nshell'] }, 'kernelParams[0]'],
    ['a caller-supplied BOOTIF', { ...agent, kernelParams: ['BOOTIF=01-00-00-00-00-00-00'] }, 'kernelParams[0]'],
    ['a caller-supplied initrd', { ...agent, kernelParams: ['initrd=other'] }, 'kernelParams[0]'],
    ['a relative kernel URL', { ...agent, kernelUrl: '/boot-files/ipa.kernel' }, 'kernelUrl'],
    ['a tftp ramdisk URL', { ...agent, ramdiskUrl: 'tftp://192.0.2.1/ipa.initramfs' }, 'ramdiskUrl'],
  ] as const)('refuses %s with a typed error naming the field', (_what, boot, field) => {
    const render = () => renderHostScript({ mac, nodeUuid, boot: boot as BootAction }, null);
    expect(render).toThrow(IpxeScriptError);
    try {
      render();
    } catch (error) {
      expect((error as IpxeScriptError).field).toBe(field);
    }
  });

  it('refuses attempt counts outside 1..100', () => {
    expect(() => renderHostScript({ mac, nodeUuid, boot: agent }, null, { fetchAttempts: 0 })).toThrow(IpxeScriptError);
    expect(() => renderHostScript({ mac, nodeUuid, boot: agent }, null, { fetchAttempts: 2.5 })).toThrow(
      IpxeScriptError,
    );
  });
});

describe('normalizeMac', () => {
  it('accepts colons, dashes and upper case, and nothing else', () => {
    expect(normalizeMac('52-54-00-AB-CD-EF')).toBe('52:54:00:ab:cd:ef');
    expect(normalizeMac('52:54:00:ab:cd:ef')).toBe('52:54:00:ab:cd:ef');
    expect(normalizeMac('525400abcdef')).toBeNull();
    expect(normalizeMac('52:54:00:ab:cd')).toBeNull();
    expect(normalizeMac('52:54:00:ab:cd:eg')).toBeNull();
  });
});
