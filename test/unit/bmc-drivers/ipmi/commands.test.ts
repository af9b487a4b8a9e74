// Request bytes and response decoding of each command (IPMI v2.0 chapters 20, 22, 28).
import { describe, expect, it } from 'vitest';
import {
  chassisControl,
  closeSession,
  decodeCipherSuiteRecords,
  encodeBootFlags,
  getBootFlags,
  getChannelAuthCapabilities,
  getChannelCipherSuites,
  getChassisStatus,
  getDeviceId,
  keepBootFlagsPastTimeout,
  setBootFlags,
  setSessionPrivilegeLevel,
} from '../../../../bmc-drivers/ipmi/commands.js';
import { IpmiCompletionCodeError, IpmiProtocolError } from '../../../../bmc-drivers/ipmi/errors.js';
import { completeCommand } from '../../../../bmc-drivers/ipmi/session.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('chassis commands', () => {
  it.each([
    ['off', 0x00],
    ['on', 0x01],
    ['cycle', 0x02],
    ['reset', 0x03],
    ['soft-off', 0x05],
  ] as const)('Chassis Control %s sends 0x%s', (action, code) => {
    const command = chassisControl(action);
    expect([command.netFn, command.cmd, [...command.data]]).toEqual([0x00, 0x02, [code]]);
  });

  it('decodes Get Chassis Status: power bit and restore policy', () => {
    expect(getChassisStatus().decode(hex('21 10 00'))).toMatchObject({
      powerOn: true,
      restorePolicy: 'previous',
      lastPowerEvent: 0x10,
    });
    expect(getChassisStatus().decode(hex('40 00 00 00'))).toMatchObject({ powerOn: false, restorePolicy: 'always-on' });
    expect(() => getChassisStatus().decode(hex('01'))).toThrow(IpmiProtocolError);
  });
});

describe('boot options', () => {
  it('encodes PXE, EFI, persistent, valid as e0 04 00 00 00 after parameter 5', () => {
    const command = setBootFlags({ valid: true, persistent: true, mode: 'efi', device: 'pxe' });
    expect([command.netFn, command.cmd]).toEqual([0x00, 0x08]);
    expect(command.data).toEqual(hex('05 e0 04 00 00 00'));
  });

  it.each([
    [{ valid: true, persistent: false, mode: 'legacy', device: 'disk' }, '80 08 00 00 00'],
    [{ valid: true, persistent: false, mode: 'legacy', device: 'cdrom' }, '80 14 00 00 00'],
    [{ valid: true, persistent: true, mode: 'legacy', device: 'bios' }, 'c0 18 00 00 00'],
    [{ valid: false, persistent: false, mode: 'legacy', device: 'none' }, '00 00 00 00 00'],
  ] as const)('encodes %o as %s', (flags, bytes) => {
    expect(encodeBootFlags(flags)).toEqual(hex(bytes));
  });

  it('asks to keep the flags past the 60 s timeout with parameter 3 = 08', () => {
    expect(keepBootFlagsPastTimeout().data).toEqual(hex('03 08'));
  });

  it('reads parameter 5 back: version, parameter, flags', () => {
    const command = getBootFlags();
    expect([command.cmd, ...command.data]).toEqual([0x09, 5, 0, 0]);
    expect(command.decode(hex('01 05 e0 04 00 00 00'))).toEqual({
      valid: true,
      persistent: true,
      mode: 'efi',
      device: 'pxe',
    });
    // OpenIPMI's ipmi_sim answers without the valid bit.
    expect(command.decode(hex('01 05 00 04 00 00 00'))).toEqual({
      valid: false,
      persistent: false,
      mode: 'legacy',
      device: 'pxe',
    });
    expect(() => command.decode(hex('01 04 00 00'))).toThrow(IpmiProtocolError);
    expect(() => command.decode(hex('01 05 80 28 00 00 00'))).toThrow(IpmiProtocolError); // selector 0xA is reserved
  });
});

describe('device and channel commands', () => {
  it('decodes Get Device ID (Table 20-2)', () => {
    const id = getDeviceId().decode(hex('20 81 02 47 02 01 3c 2b 0a 34 12 01 02 03 04'));
    expect(id).toEqual({
      deviceId: 0x20,
      deviceRevision: 1,
      providesDeviceSdrs: true,
      firmwareMajor: 2,
      firmwareMinor: 47,
      ipmiVersion: '2.0',
      additionalDeviceSupport: 1,
      manufacturerId: 0x0a2b3c,
      productId: 0x1234,
      auxFirmwareRevision: hex('01 02 03 04'),
    });
  });

  it('asks for IPMI v2.0 data on the current channel and decodes the answer (Table 22-15)', () => {
    const command = getChannelAuthCapabilities('administrator');
    expect(command.data).toEqual(hex('8e 04'));
    expect(command.decode(hex('01 80 04 02 00 00 00 00'))).toMatchObject({
      channel: 1,
      extendedCapabilities: true,
      nonNullUsernames: true,
      supportsIpmi20: true,
      supportsIpmi15: false,
    });
    expect(command.decode(hex('01 16 04 00 00 00 00 00'))).toMatchObject({
      supportsIpmi20: false,
      supportsIpmi15: true,
      authTypes: 0x16,
    });
  });

  it('lists cipher suites by suite and decodes standard and OEM records (Tables 22-18 to 22-20)', () => {
    expect(getChannelCipherSuites(1).data).toEqual(hex('0e 00 81'));
    expect(decodeCipherSuiteRecords(hex('c0 03 01 41 81  c0 11 03 44 81  c1 80 a2 02 00 01 40 80'))).toEqual([
      { id: 3, oemIana: undefined, authentication: [1], integrity: [1], confidentiality: [1] },
      { id: 17, oemIana: undefined, authentication: [3], integrity: [4], confidentiality: [1] },
      { id: 0x80, oemIana: 0x0002a2, authentication: [1], integrity: [0], confidentiality: [0] },
    ]);
    expect(() => decodeCipherSuiteRecords(hex('01 41'))).toThrow(IpmiProtocolError);
  });

  it('encodes session privilege and close session', () => {
    expect(setSessionPrivilegeLevel('operator').data).toEqual(hex('03'));
    expect(setSessionPrivilegeLevel('administrator').decode(hex('04'))).toBe('administrator');
    expect(closeSession(0x01020304).data).toEqual(hex('04 03 02 01'));
  });

  it('turns a non-zero completion code into IpmiCompletionCodeError naming the command', () => {
    const response = { netFn: 1, cmd: 2, rqSeq: 0, completionCode: 0xd4, data: Buffer.alloc(0) };
    expect(() => completeCommand(chassisControl('on'), response)).toThrow(IpmiCompletionCodeError);
    try {
      completeCommand(chassisControl('on'), response);
    } catch (error) {
      expect(error).toMatchObject({ code: 0xd4, message: expect.stringContaining('insufficient privilege level') });
    }
  });
});
