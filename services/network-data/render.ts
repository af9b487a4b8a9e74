import { netmaskOf, type IpFamily } from '../../ipam/index.js';

/** A NIC of the node: the MAC its link is known by. */
export interface NetworkLinkInput {
  uuid: string;
  mac: string;
  pxe_enabled: boolean;
}

/** An address the node holds from a pool, with the settings of its range. */
export interface NetworkAddressInput {
  pool: string;
  family: IpFamily;
  address: string;
  prefix: number;
  gateway: string | null;
  dns_servers: string[];
}

export interface NetworkData {
  links: { id: string; type: 'phy'; ethernet_mac_address: string; mtu: null }[];
  networks: {
    id: string;
    type: 'ipv4' | 'ipv6';
    link: string;
    network_id: string;
    ip_address: string;
    netmask: string;
    routes: { network: string; netmask: string; gateway: string }[];
  }[];
  services: { type: 'dns'; address: string }[];
}

/**
 * OpenStack's `network_data.json` (the config drive's openstack/latest/network_data.json)
 * for a node: one `phy` link per port, and one static network per address,
 * on the PXE port's link (the NIC the pools are provisioned on), with a
 * default route through the range's gateway and its DNS servers. Pure.
 */
export function renderNetworkData(
  ports: readonly NetworkLinkInput[],
  addresses: readonly NetworkAddressInput[],
): NetworkData {
  const links = ports.map((p) => ({ id: linkId(p), type: 'phy' as const, ethernet_mac_address: p.mac, mtu: null }));
  const primary = ports.find((p) => p.pxe_enabled) ?? ports[0];
  if (addresses.length > 0 && !primary) throw new Error('A node with addresses needs a port to carry them.');
  const networks = addresses.map((a, i) => ({
    id: `network${i}`,
    type: a.family,
    link: linkId(primary!),
    network_id: a.pool,
    ip_address: a.address,
    netmask: netmaskOf(a.family, a.prefix),
    routes:
      a.gateway === null
        ? []
        : [
            {
              network: a.family === 'ipv4' ? '0.0.0.0' : '::',
              netmask: a.family === 'ipv4' ? '0.0.0.0' : '::',
              gateway: a.gateway,
            },
          ],
  }));
  const dns = [...new Set(addresses.flatMap((a) => a.dns_servers))];
  return { links, networks, services: dns.map((address) => ({ type: 'dns' as const, address })) };
}

function linkId(port: NetworkLinkInput): string {
  return `port-${port.uuid}`;
}
