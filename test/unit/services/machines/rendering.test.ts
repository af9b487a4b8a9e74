import { describe, expect, it } from 'vitest';
import { renderNetworkData } from '../../../../services/network-data/index.js';
import {
  configDriveFor,
  customDeployStep,
  instanceInfoFor,
  inventoryAddresses,
  machineAddresses,
} from '../../../../services/machines/rendering.js';
import { machineSpec as spec } from './machine-spec.js';

describe('what a machine writes on its host', () => {
  it('maps the checksum type onto Ironic image fields and drops the last image', () => {
    const old = { image_source: 'x', image_checksum: 'old', capabilities: 'boot_mode:uefi' };
    expect(instanceInfoFor(old, spec().image!)).toEqual({
      capabilities: 'boot_mode:uefi',
      image_source: 'http://i/os.img',
      image_os_hash_algo: 'sha256',
      image_os_hash_value: 'abc',
      image_disk_format: 'raw',
    });
    const md5 = { url: 'http://i/os.img', checksum: 'd41d', checksum_type: null, disk_format: null };
    expect(instanceInfoFor({}, md5)).toEqual({ image_source: 'http://i/os.img', image_checksum: 'd41d' });
  });

  it('runs a custom deploy as one deploy step', () => {
    const custom = spec({ image: null, custom_deploy: { method: 'install_os', args: { url: 'u' } } });
    expect(customDeployStep(custom)).toEqual([
      { interface: 'deploy', step: 'install_os', priority: 80, args: { url: 'u' } },
    ]);
    expect(customDeployStep(spec())).toEqual([]);
  });

  it('renders a config drive naming the host, with template meta_data and the claimed networks', () => {
    const networkData = renderNetworkData(
      [{ uuid: 'p1', mac: '52:54:00:00:00:01', pxe_enabled: true }],
      [
        {
          pool: 'v4',
          family: 'ipv4',
          address: '192.0.2.10',
          prefix: 24,
          gateway: '192.0.2.1',
          dns_servers: ['192.0.2.53'],
        },
      ],
    );
    const drive = configDriveFor(spec(), { name: 'worker-0' }, { uuid: 'node-1' }, networkData);
    expect(drive.meta_data).toEqual({ rack: 'r1', uuid: 'node-1', name: 'worker-0', hostname: 'worker-0' });
    expect(drive.user_data).toBe('#cloud-config\n');
    expect(drive.network_data).toMatchObject({
      links: [{ ethernet_mac_address: '52:54:00:00:00:01' }],
      networks: [{ ip_address: '192.0.2.10', netmask: '255.255.255.0', network_id: 'v4' }],
      services: [{ type: 'dns', address: '192.0.2.53' }],
    });
  });

  it('lists IPAM then inventory addresses once each, then the hostname', () => {
    const inventory = {
      interfaces: [
        { name: 'eth0', ipv4_address: '192.0.2.10', ipv6_address: 'fe80::1' },
        { name: 'eth1', ipv4_address: '10.0.0.5' },
      ],
    };
    expect(machineAddresses('w-0', [{ address: '192.0.2.10' }], inventoryAddresses(inventory))).toEqual([
      { type: 'InternalIP', address: '192.0.2.10' },
      { type: 'InternalIP', address: '10.0.0.5' },
      { type: 'Hostname', address: 'w-0' },
      { type: 'InternalDNS', address: 'w-0' },
    ]);
    expect(inventoryAddresses(null)).toEqual([]);
  });
});
