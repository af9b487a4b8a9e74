import { describe, expect, it } from 'vitest';
import { renderNetworkData } from '../../../services/network-data/render.js';

describe('network_data.json', () => {
  it('renders links, an ipv4 and an ipv6 network on the PXE link, default routes and DNS', () => {
    const data = renderNetworkData(
      [
        { uuid: 'aaaa', mac: '52:54:00:00:00:01', pxe_enabled: false },
        { uuid: 'bbbb', mac: '52:54:00:00:00:02', pxe_enabled: true },
      ],
      [
        {
          pool: 'prov-v4',
          family: 'ipv4',
          address: '192.0.2.10',
          prefix: 24,
          gateway: '192.0.2.1',
          dns_servers: ['192.0.2.53'],
        },
        {
          pool: 'prov-v6',
          family: 'ipv6',
          address: '2001:db8::10',
          prefix: 64,
          gateway: '2001:db8::1',
          dns_servers: ['2001:db8::53', '192.0.2.53'],
        },
        { pool: 'storage', family: 'ipv4', address: '198.51.100.7', prefix: 26, gateway: null, dns_servers: [] },
      ],
    );
    expect(data).toEqual({
      links: [
        { id: 'port-aaaa', type: 'phy', ethernet_mac_address: '52:54:00:00:00:01', mtu: null },
        { id: 'port-bbbb', type: 'phy', ethernet_mac_address: '52:54:00:00:00:02', mtu: null },
      ],
      networks: [
        {
          id: 'network0',
          type: 'ipv4',
          link: 'port-bbbb',
          network_id: 'prov-v4',
          ip_address: '192.0.2.10',
          netmask: '255.255.255.0',
          routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '192.0.2.1' }],
        },
        {
          id: 'network1',
          type: 'ipv6',
          link: 'port-bbbb',
          network_id: 'prov-v6',
          ip_address: '2001:db8::10',
          netmask: 'ffff:ffff:ffff:ffff::',
          routes: [{ network: '::', netmask: '::', gateway: '2001:db8::1' }],
        },
        {
          id: 'network2',
          type: 'ipv4',
          link: 'port-bbbb',
          network_id: 'storage',
          ip_address: '198.51.100.7',
          netmask: '255.255.255.192',
          routes: [],
        },
      ],
      services: [
        { type: 'dns', address: '192.0.2.53' },
        { type: 'dns', address: '2001:db8::53' },
      ],
    });
  });

  it('renders a node without addresses as links only', () => {
    expect(renderNetworkData([{ uuid: 'c', mac: '52:54:00:00:00:03', pxe_enabled: true }], [])).toEqual({
      links: [{ id: 'port-c', type: 'phy', ethernet_mac_address: '52:54:00:00:00:03', mtu: null }],
      networks: [],
      services: [],
    });
  });
});
