import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDriveIso, IsoFormatError, readConfigDrive } from '../../../../sim/agent/index.js';
import { readNetworkData } from '../../../../sim/agent/network-data.js';
import { requireTool } from '../../../interop/tools.js';
import { buildIso } from '../support/iso-builder.js';
import { startFakeAnvil, type FakeAnvil } from '../support/fake-anvil.js';

const META = { uuid: 'u-1', hostname: 'db-7', public_keys: { k: 'ssh-rsa AAAB' } };
const NETWORK = {
  links: [
    { id: 'bond0', type: 'phy', ethernet_mac_address: '52:54:00:AA:BB:CC' },
    { id: 'vlan42', type: 'vlan', vlan_link: 'bond0', vlan_id: 42 },
  ],
  networks: [
    {
      id: 'a',
      type: 'ipv4',
      link: 'bond0',
      ip_address: '10.1.2.3',
      netmask: '255.255.254.0',
      routes: [{ network: '0.0.0.0', gateway: '10.1.2.1' }],
      dns_nameservers: ['10.0.0.53'],
    },
    { id: 'b', type: 'ipv6', link: 'vlan42', ip_address: '2001:db8::5/64', routes: [] },
    { id: 'c', type: 'ipv4_dhcp', link: 'bond0' },
  ],
  services: [{ type: 'dns', address: '10.0.0.54' }],
};
const FILES = {
  'openstack/latest/meta_data.json': JSON.stringify(META),
  'openstack/latest/network_data.json': JSON.stringify(NETWORK),
  'openstack/latest/user_data': '#!/bin/sh\necho hi\n',
};
const EXPECTED = {
  hostname: 'db-7',
  uuid: 'u-1',
  publicKeys: ['ssh-rsa AAAB'],
  userData: '#!/bin/sh\necho hi\n',
  addresses: [
    { mac: '52:54:00:aa:bb:cc', address: '10.1.2.3', prefix: 23, family: 'ipv4', gateway: '10.1.2.1' },
    { mac: '52:54:00:aa:bb:cc', address: '2001:db8::5', prefix: 64, family: 'ipv6', gateway: null },
  ],
  dnsServers: ['10.0.0.54', '10.0.0.53'],
};

let anvil: FakeAnvil;
let dir: string;

beforeAll(async () => {
  anvil = await startFakeAnvil();
  dir = await mkdtemp(join(tmpdir(), 'sim-configdrive-'));
});

afterAll(async () => {
  await anvil.close();
  await rm(dir, { recursive: true, force: true });
});

describe('config drive', () => {
  it('reads hostname, keys, user data and static addresses from a plain ISO 9660 image', async () => {
    expect(await readConfigDrive(buildIso(FILES))).toEqual(EXPECTED);
  });

  it('decodes gzip+base64, line-wrapped or not, given or downloaded, to the same ISO', async () => {
    const iso = buildIso(FILES);
    const node = { nodeUuid: 'u-1' };
    expect(await configDriveIso(gzipSync(iso).toString('base64'), node)).toEqual(iso);
    // Line-wrapped base64 (what `base64` prints) decodes as IPA's b64decode takes it.
    const wrapped = gzipSync(iso)
      .toString('base64')
      .replace(/(.{76})/g, '$1\n');
    expect(await configDriveIso(wrapped, node)).toEqual(iso);
    anvil.files.set('/configdrive/node-1', Buffer.from(gzipSync(iso).toString('base64')));
    expect(await configDriveIso(`${anvil.url}/configdrive/node-1`, node)).toEqual(iso);
  });

  it("fails a config drive that is not gzip+base64 with IPA's DeploymentError words", async () => {
    const iso = buildIso(FILES);
    const node = { nodeUuid: 'u-1' };
    // base64 of the bare ISO: IPA decodes it, then gzip refuses the first two bytes.
    await expect(configDriveIso(iso.toString('base64'), node)).rejects.toMatchObject({
      type: 'DeploymentError',
      details:
        "Encountered error while decompressing and writing config drive for node u-1. Error: Not a gzipped file (b'\\x00\\x00')",
    });
    await expect(configDriveIso('bm90IGd6aXA=', node)).rejects.toMatchObject({
      details:
        "Encountered error while decompressing and writing config drive for node u-1. Error: Not a gzipped file (b'no')",
    });
    await expect(configDriveIso('abcde', node)).rejects.toMatchObject({
      type: 'DeploymentError',
      details:
        'Config drive for node u-1 is not base64 encoded or the content is malformed. Error: Invalid base64-encoded string: number of data characters (5) cannot be 1 more than a multiple of 4.',
    });
    await expect(configDriveIso('abc', node)).rejects.toMatchObject({
      details: 'Config drive for node u-1 is not base64 encoded or the content is malformed. Error: Incorrect padding.',
    });
    const truncated = gzipSync(iso).subarray(0, 100).toString('base64');
    await expect(configDriveIso(truncated, node)).rejects.toMatchObject({
      details: expect.stringMatching(
        /^Encountered error while decompressing and writing config drive for node u-1\. Error: /,
      ),
    });
    await expect(configDriveIso(`${anvil.url}/configdrive/none`, node)).rejects.toMatchObject({
      details: `Can't download the configdrive content for node u-1 from '${anvil.url}/configdrive/none'. Got status code 404`,
    });
  });

  it('refuses what is not an ISO', async () => {
    await expect(readConfigDrive(Buffer.alloc(40_000))).rejects.toBeInstanceOf(IsoFormatError);
  });

  it.runIf(requireTool('xorriso'))(
    'reads Joliet and Rock Ridge names from an image xorriso built, as genisoimage -J -r does',
    async () => {
      const root = join(dir, 'tree');
      for (const [path, content] of Object.entries(FILES)) {
        await mkdir(join(root, path, '..'), { recursive: true });
        await writeFile(join(root, path), content);
      }
      const out = join(dir, 'cd.iso');
      for (const flags of [['-J', '-r'], ['-r']]) {
        const built = spawnSync('xorriso', ['-as', 'mkisofs', ...flags, '-V', 'config-2', '-o', out, root], {
          encoding: 'utf8',
        });
        expect(built.status, built.stderr).toBe(0);
        expect(await readConfigDrive(await readFile(out))).toEqual(EXPECTED);
      }
    },
  );
});

describe('network_data.json', () => {
  it('takes a netmask in either family and ignores what it cannot use', () => {
    expect(
      readNetworkData({
        links: [],
        networks: [{ type: 'ipv6', ip_address: 'fd00::1', netmask: 'ffff:ffff:ffff:ff00::' }],
      }).addresses[0]?.prefix,
    ).toBe(56);
    expect(readNetworkData(null)).toEqual({ addresses: [], dnsServers: [] });
    expect(readNetworkData({ networks: 'nope' })).toEqual({ addresses: [], dnsServers: [] });
  });
});
