import type { ClaimView, IpamService } from '../../ipam/index.js';
import type { NetworkAddressInput } from '../network-data/render.js';

/** The owner reference a node's claims carry, so they can be found and released with it. */
export function nodeOwner(nodeUuid: string): string {
  return `node:${nodeUuid}`;
}

/** A node's claim in a pool is named after both, as Metal3 names `<Metal3Data>-<pool>`: one address per node per pool. */
export function nodeClaimName(nodeUuid: string, pool: string): string {
  return `${nodeUuid}-${pool}`;
}

/**
 * Claims one address from each named pool for a node's ports. Idempotent:
 * run again (a retried deploy), it answers the same addresses.
 */
export async function claimAddressesForNode(ipam: IpamService, node: { uuid: string }, pools: readonly string[]): Promise<ClaimView[]> {
  const out: ClaimView[] = [];
  for (const pool of pools) {
    out.push((await ipam.claim(pool, { name: nodeClaimName(node.uuid, pool), owner: nodeOwner(node.uuid) })).claim);
  }
  return out;
}

/** Releases every claim a node owns (when the node is deleted); the number released. */
export function releaseNodeAddresses(ipam: IpamService, node: { uuid: string }): Promise<number> {
  return ipam.releaseOwnedBy(nodeOwner(node.uuid));
}

/** The addresses a node holds, in the shape `renderNetworkData` and a DHCP backend read. */
export async function nodeAddresses(ipam: IpamService, node: { uuid: string }): Promise<NetworkAddressInput[]> {
  const held = await ipam.listAddresses({ owner: nodeOwner(node.uuid) }, { limit: 1000, sortKey: 'id', sortDir: 'asc' });
  return held.map((c) => ({
    pool: c.record.pool,
    family: c.family,
    address: c.address,
    prefix: c.prefix,
    gateway: c.gateway,
    dns_servers: c.dns_servers,
  }));
}
