import { describe, expect, it } from 'vitest';
import { bmcKey, enrollmentFromAddress, InvalidDriverInfo, parseDriverInfo } from '../../../bmc-drivers/index.js';

const redfish = { redfish_address: 'https://10.0.0.5', redfish_username: 'root', redfish_password: 'calvin' };
const ipmi = { ipmi_address: '10.0.0.6', ipmi_username: 'admin', ipmi_password: 'hunter2' };

function refusal(driver: string, info: Record<string, unknown>): InvalidDriverInfo {
  try {
    parseDriverInfo(driver, info);
  } catch (error) {
    if (error instanceof InvalidDriverInfo) return error;
    throw error;
  }
  throw new Error('expected InvalidDriverInfo');
}

describe('parseDriverInfo', () => {
  it('reads a redfish node with Ironic defaults: https, verification on, auto auth', () => {
    expect(parseDriverInfo('redfish', redfish)).toEqual({
      protocol: 'redfish',
      hardwareType: 'redfish',
      scheme: 'https',
      host: '10.0.0.5',
      port: 443,
      systemPath: null,
      username: 'root',
      password: 'calvin',
      verify: { kind: 'system' },
      authType: 'auto',
    });
  });

  it('reads an idrac node with every redfish_ key set', () => {
    expect(
      parseDriverInfo('idrac', {
        ...redfish,
        redfish_address: 'http://bmc.example:8000',
        redfish_system_id: '/redfish/v1/Systems/System.Embedded.1',
        redfish_verify_ca: '/etc/anvil/bmc-ca.pem',
        redfish_auth_type: 'session',
      }),
    ).toMatchObject({
      hardwareType: 'idrac',
      scheme: 'http',
      host: 'bmc.example',
      port: 8000,
      systemPath: '/redfish/v1/Systems/System.Embedded.1',
      verify: { kind: 'ca-file', path: '/etc/anvil/bmc-ca.pem' },
      authType: 'session',
    });
  });

  it('assumes https for a redfish_address without a scheme', () => {
    expect(parseDriverInfo('redfish', { ...redfish, redfish_address: '10.0.0.5:8443' })).toMatchObject({
      scheme: 'https',
      port: 8443,
    });
  });

  it.each([
    [false, { kind: 'off' }],
    ['False', { kind: 'off' }],
    ['no', { kind: 'off' }],
    [true, { kind: 'system' }],
    ['True', { kind: 'system' }],
  ])('reads redfish_verify_ca %j', (value, verify) => {
    expect(parseDriverInfo('redfish', { ...redfish, redfish_verify_ca: value })).toMatchObject({ verify });
  });

  it('reads an ipmi node with defaults: port 623, administrator, cipher suite 3', () => {
    expect(parseDriverInfo('ipmi', ipmi)).toEqual({
      protocol: 'ipmi',
      hardwareType: 'ipmi',
      host: '10.0.0.6',
      port: 623,
      username: 'admin',
      password: 'hunter2',
      privilege: 'administrator',
      cipherSuite: 3,
    });
  });

  it('reads ipmi_port, ipmi_priv_level and ipmi_cipher_suite as numbers or strings', () => {
    expect(
      parseDriverInfo('ipmi', { ...ipmi, ipmi_port: '6230', ipmi_priv_level: 'OPERATOR', ipmi_cipher_suite: 17 }),
    ).toMatchObject({
      port: 6230,
      privilege: 'operator',
      cipherSuite: 17,
    });
    expect(parseDriverInfo('ipmi', { ...ipmi, ipmi_port: 6231, ipmi_cipher_suite: '3' })).toMatchObject({
      port: 6231,
      cipherSuite: 3,
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['fake-hardware', {}, 'driver'],
    ['redfish', { ...redfish, redfish_address: undefined }, 'redfish_address'],
    ['redfish', { ...redfish, redfish_address: 'ftp://10.0.0.5' }, 'redfish_address'],
    ['redfish', { ...redfish, redfish_address: 'https://10.0.0.5/redfish/v1/Systems/1' }, 'redfish_address'],
    ['redfish', { ...redfish, redfish_address: 'https://root:pw@10.0.0.5' }, 'redfish_address'],
    ['redfish', { ...redfish, redfish_address: 42 }, 'redfish_address'],
    ['redfish', { ...redfish, redfish_system_id: 'System.Embedded.1' }, 'redfish_system_id'],
    ['redfish', { ...redfish, redfish_username: '' }, 'redfish_username'],
    ['redfish', { ...redfish, redfish_password: undefined }, 'redfish_password'],
    ['redfish', { ...redfish, redfish_verify_ca: 3 }, 'redfish_verify_ca'],
    ['redfish', { ...redfish, redfish_auth_type: 'digest' }, 'redfish_auth_type'],
    ['ipmi', { ...ipmi, ipmi_address: undefined }, 'ipmi_address'],
    ['ipmi', { ...ipmi, ipmi_address: 'ipmi://10.0.0.6' }, 'ipmi_address'],
    ['ipmi', { ...ipmi, ipmi_port: 70000 }, 'ipmi_port'],
    ['ipmi', { ...ipmi, ipmi_port: 'six' }, 'ipmi_port'],
    ['ipmi', { ...ipmi, ipmi_priv_level: 'ROOT' }, 'ipmi_priv_level'],
    ['ipmi', { ...ipmi, ipmi_cipher_suite: 0 }, 'ipmi_cipher_suite'],
    ['ipmi', { ...ipmi, ipmi_username: 'a-user-name-longer-than-16' }, 'ipmi_username'],
    ['ipmi', { ...ipmi, ipmi_password: 'a-password-longer-than-20-bytes' }, 'ipmi_password'],
    ['ipmi', { ...ipmi, ipmi_password: 42 }, 'ipmi_password'],
  ])('refuses %s driver_info naming %#: %s', (driver, info, key) => {
    const error = refusal(driver, info);
    expect(error.key).toBe(key);
    expect(error.message).toContain(key);
  });

  it('never echoes a value, so a password typed into the wrong key stays secret', () => {
    const error = refusal('ipmi', { ...ipmi, ipmi_port: 'Tr0ub4dor&3' });
    expect(error.message).not.toContain('Tr0ub4dor');
  });
});

describe('enrollmentFromAddress', () => {
  const credentials = { username: 'admin', password: 'pw' };

  it('turns a redfish+http address into Ironic redfish driver_info, as Metal3 does', () => {
    expect(enrollmentFromAddress('redfish+http://127.0.0.1:8000/redfish/v1/Systems/sim-0', credentials)).toEqual({
      driver: 'redfish',
      driverInfo: {
        redfish_address: 'http://127.0.0.1:8000',
        redfish_system_id: '/redfish/v1/Systems/sim-0',
        redfish_username: 'admin',
        redfish_password: 'pw',
        redfish_verify_ca: true,
      },
      bootInterface: 'ipxe',
    });
  });

  it('picks idrac and virtual media from idrac-virtualmedia, and honours disabled verification', () => {
    expect(
      enrollmentFromAddress('idrac-virtualmedia://[fd00::9]/redfish/v1/Systems/System.Embedded.1', credentials, {
        disableCertificateVerification: true,
      }),
    ).toMatchObject({
      driver: 'idrac',
      driverInfo: { redfish_address: 'https://[fd00::9]:443', redfish_verify_ca: false },
      bootInterface: 'redfish-virtual-media',
    });
  });

  it('turns ipmi:// and bare host:port into ipmi driver_info', () => {
    for (const address of ['ipmi://10.0.0.6:6230', '10.0.0.6:6230']) {
      expect(enrollmentFromAddress(address, credentials)).toEqual({
        driver: 'ipmi',
        driverInfo: { ipmi_address: '10.0.0.6', ipmi_port: 6230, ipmi_username: 'admin', ipmi_password: 'pw' },
        bootInterface: 'ipxe',
      });
    }
  });

  it('round-trips through parseDriverInfo to the same BMC key', () => {
    const enrollment = enrollmentFromAddress(
      'idrac-virtualmedia://[fd00::9]/redfish/v1/Systems/System.Embedded.1',
      credentials,
    );
    expect(bmcKey(parseDriverInfo(enrollment.driver, enrollment.driverInfo))).toBe(
      '[fd00::9]:443/redfish/v1/Systems/System.Embedded.1',
    );
  });
});
