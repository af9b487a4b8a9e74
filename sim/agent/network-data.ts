// What an OS (cloud-init, glean) configures from a config drive's
// network_data.json (OpenStack's format: links, networks, services).
// Pure: JSON in, addresses and name servers out.
import type { OsAddress } from '../host/index.js';

interface NdLink {
  id?: unknown;
  ethernet_mac_address?: unknown;
  vlan_mac_address?: unknown;
  vlan_link?: unknown;
}

interface NdRoute {
  network?: unknown;
  gateway?: unknown;
}

interface NdNetwork {
  type?: unknown;
  link?: unknown;
  ip_address?: unknown;
  netmask?: unknown;
  prefix?: unknown;
  routes?: unknown;
  dns_nameservers?: unknown;
}

export interface NetworkView {
  addresses: OsAddress[];
  dnsServers: string[];
}

export function readNetworkData(json: unknown): NetworkView {
  const doc = isObject(json) ? json : {};
  const links = arrayOf<NdLink>(doc.links);
  const networks = arrayOf<NdNetwork>(doc.networks);
  const dns = new Set<string>();
  for (const service of arrayOf<{ type?: unknown; address?: unknown }>(doc.services)) {
    if (service.type === 'dns' && typeof service.address === 'string') dns.add(service.address);
  }
  const addresses: OsAddress[] = [];
  for (const network of networks) {
    // ipv4_dhcp and ipv6_dhcp networks get their address at run time; nothing static to report.
    const family = network.type === 'ipv4' ? 'ipv4' : network.type === 'ipv6' ? 'ipv6' : null;
    if (family === null || typeof network.ip_address !== 'string') continue;
    const [address, cidr] = network.ip_address.split('/') as [string, string | undefined];
    addresses.push({
      mac: macOf(network.link, links),
      address,
      prefix: cidr !== undefined ? Number(cidr) : prefixOf(network),
      family,
      gateway: defaultGateway(arrayOf<NdRoute>(network.routes)),
    });
    if (Array.isArray(network.dns_nameservers)) {
      for (const server of network.dns_nameservers as unknown[]) if (typeof server === 'string') dns.add(server);
    }
  }
  return { addresses, dnsServers: [...dns] };
}

function macOf(linkId: unknown, links: NdLink[], depth = 0): string | null {
  const link = links.find((l) => l.id === linkId);
  if (link === undefined) return null;
  const mac = link.ethernet_mac_address ?? link.vlan_mac_address;
  if (typeof mac === 'string') return mac.toLowerCase();
  // A VLAN without its own MAC uses its parent link's; the depth bound stops a cycle.
  return depth < 4 ? macOf(link.vlan_link, links, depth + 1) : null;
}

function prefixOf(network: NdNetwork): number | null {
  if (typeof network.prefix === 'number') return network.prefix;
  if (typeof network.netmask !== 'string') return null;
  if (network.netmask.includes('.')) {
    return network.netmask.split('.').reduce((bits, octet) => bits + popcount(Number(octet) & 0xff), 0);
  }
  if (network.netmask.includes(':')) {
    return expandIpv6(network.netmask).reduce((bits, group) => bits + popcount(group), 0);
  }
  return null;
}

function defaultGateway(routes: NdRoute[]): string | null {
  const route = routes.find((r) => r.network === '0.0.0.0' || r.network === '::') ?? routes[0];
  return route !== undefined && typeof route.gateway === 'string' ? route.gateway : null;
}

function expandIpv6(text: string): number[] {
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16) || 0);
  const first = parse(head);
  const last = tail === undefined ? [] : parse(tail);
  return [...first, ...new Array<number>(Math.max(0, 8 - first.length - last.length)).fill(0), ...last];
}

function popcount(value: number): number {
  let bits = 0;
  for (let v = value; v !== 0; v &= v - 1) bits += 1;
  return bits;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayOf<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value.filter(isObject) as T[]) : [];
}
