import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  buildConfigDrive,
  ConfigDriveDecodeError,
  ConfigDriveInvalid,
  configDriveFiles,
  decodeConfigDrive,
  encodeConfigDrive,
  parseConfigDrive,
  readIso9660,
} from '../../../../pxe/configdrive/index.js';

const networkData = {
  links: [{ id: 'eth0', type: 'phy', ethernet_mac_address: '52:54:00:12:34:56' }],
  networks: [{ id: 'net0', link: 'eth0', type: 'ipv4', ip_address: '192.0.2.10', netmask: '255.255.255.0' }],
  services: [{ type: 'dns', address: '192.0.2.53' }],
};

function filesOf(input: unknown): Record<string, string> {
  const contents = readIso9660(buildConfigDrive(input, { uuid: 'node-uuid', name: 'node-0' }));
  return Object.fromEntries([...contents.files].map(([path, data]) => [path, data.toString('utf8')]));
}

describe('config drive from the dict form', () => {
  it('reads back every file under both version directories, labelled config-2', () => {
    const image = buildConfigDrive({
      meta_data: { hostname: 'node-0.example', public_keys: { default: 'ssh-ed25519 AAAA' } },
      network_data: networkData,
      user_data: '#cloud-config\nhostname: node-0\n',
      vendor_data: { provider: 'anvil' },
    });
    const contents = readIso9660(image);
    expect(contents.volumeId).toBe('config-2');
    expect(contents.joliet).toBe(true);
    const files = Object.fromEntries([...contents.files].map(([path, data]) => [path, data.toString('utf8')]));
    for (const version of ['2012-08-10', 'latest']) {
      expect(JSON.parse(files[`openstack/${version}/meta_data.json`]!)).toEqual({
        hostname: 'node-0.example',
        public_keys: { default: 'ssh-ed25519 AAAA' },
      });
      expect(JSON.parse(files[`openstack/${version}/network_data.json`]!)).toEqual(networkData);
      expect(files[`openstack/${version}/user_data`]).toBe('#cloud-config\nhostname: node-0\n');
      expect(JSON.parse(files[`openstack/${version}/vendor_data2.json`]!)).toEqual({ provider: 'anvil' });
    }
    expect(Object.keys(files)).toHaveLength(8);
  });

  it('writes object and array user data as JSON, as Ironic does for Ignition', () => {
    expect(filesOf({ user_data: { ignition: { version: '3.2.0' } } })['openstack/latest/user_data']).toBe(
      '{"ignition":{"version":"3.2.0"}}',
    );
    expect(filesOf({ user_data: [] })['openstack/latest/user_data']).toBe('[]');
  });

  it('leaves out empty network data, vendor data and user data, as openstacksdk does', () => {
    expect(Object.keys(filesOf({ network_data: {}, vendor_data: {}, user_data: '' })).sort()).toEqual([
      'openstack/2012-08-10/meta_data.json',
      'openstack/latest/meta_data.json',
    ]);
    expect(Object.keys(filesOf({ user_data: null, meta_data: null }))).toHaveLength(2);
  });

  it('fills meta_data uuid and name from the node unless the caller set them', () => {
    expect(JSON.parse(filesOf({})['openstack/latest/meta_data.json']!)).toEqual({ uuid: 'node-uuid', name: 'node-0' });
    expect(
      JSON.parse(filesOf({ meta_data: { uuid: 'mine', name: 'own' } })['openstack/latest/meta_data.json']!),
    ).toEqual({ uuid: 'mine', name: 'own' });
  });

  it('keeps non-ASCII user data byte for byte', () => {
    expect(filesOf({ user_data: 'héllo ✓ 日本' })['openstack/latest/user_data']).toBe('héllo ✓ 日本');
  });

  it('gives the same bytes for the same input, so a stored drive has a stable checksum', () => {
    const input = { meta_data: { a: 1 }, user_data: 'x' };
    expect(buildConfigDrive(input).equals(buildConfigDrive(input))).toBe(true);
  });

  it.each([
    ['a string', 'meta', 'configdrive'],
    ['an array', [], 'configdrive'],
    ['an unknown key', { meta_data: {}, extra: 1 }, 'extra'],
    ['meta_data as an array', { meta_data: [1] }, 'meta_data'],
    ['network_data as a string', { network_data: 'x' }, 'network_data'],
    ['vendor_data as a number', { vendor_data: 3 }, 'vendor_data'],
    ['user_data as a number', { user_data: 3 }, 'user_data'],
    ['user_data as a boolean', { user_data: true }, 'user_data'],
  ])('refuses %s with ConfigDriveInvalid naming the field', (_what, input, field) => {
    expect(() => parseConfigDrive(input)).toThrow(ConfigDriveInvalid);
    try {
      parseConfigDrive(input);
    } catch (error) {
      expect((error as ConfigDriveInvalid).field).toBe(field);
    }
  });

  it('refuses a drive larger than the 64 MiB ironic-python-agent accepts', () => {
    expect(() => buildConfigDrive({ user_data: 'x'.repeat(33 * 1024 * 1024) })).toThrow(ConfigDriveInvalid);
  });

  it('lists files in openstacksdk order: meta, network, vendor, user data per version', () => {
    const files = configDriveFiles(
      parseConfigDrive({ meta_data: {}, network_data: networkData, user_data: 'u', vendor_data: { v: 1 } }),
    );
    expect(files.map((f) => f.path)).toEqual([
      'openstack/2012-08-10/meta_data.json',
      'openstack/2012-08-10/network_data.json',
      'openstack/2012-08-10/vendor_data2.json',
      'openstack/2012-08-10/user_data',
      'openstack/latest/meta_data.json',
      'openstack/latest/network_data.json',
      'openstack/latest/vendor_data2.json',
      'openstack/latest/user_data',
    ]);
  });
});

describe('gzip+base64 form', () => {
  it('round-trips an image, and decodes wrapped base64 as the base64 tool writes it', () => {
    const image = buildConfigDrive({ user_data: 'hello' });
    const text = encodeConfigDrive(image);
    expect(decodeConfigDrive(text).equals(image)).toBe(true);
    const wrapped = text.replace(/(.{76})/g, '$1\n');
    expect(decodeConfigDrive(wrapped).equals(image)).toBe(true);
  });

  it.each([
    ['an empty string', ''],
    ['text that is not base64', 'not base64!'],
    ['base64 that is not gzip', Buffer.from('plain iso bytes').toString('base64')],
    ['truncated gzip', gzipSync(Buffer.alloc(4096, 1)).subarray(0, 20).toString('base64')],
  ])('refuses %s with ConfigDriveDecodeError', (_what, text) => {
    expect(() => decodeConfigDrive(text)).toThrow(ConfigDriveDecodeError);
  });

  it('stops inflating at 64 MiB, so a small string cannot exhaust memory', () => {
    const bomb = gzipSync(Buffer.alloc(65 * 1024 * 1024)).toString('base64');
    expect(bomb.length).toBeLessThan(200_000);
    expect(() => decodeConfigDrive(bomb)).toThrow(/inflates past/);
  });
});
