import type { ClaimView, IpamService } from '../../ipam/index.js';
import { renderNetworkData, type NetworkAddressInput, type NetworkData } from '../network-data/index.js';
import type { NodeService } from '../nodes/index.js';
import type { PortService } from '../ports/index.js';

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
export async function claimAddressesForNode(
  ipam: IpamService,
  node: { uuid: string },
  pools: readonly string[],
): Promise<ClaimView[]> {
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
  const held = await ipam.listAddresses(
    { owner: nodeOwner(node.uuid) },
    { limit: 1000, sortKey: 'id', sortDir: 'asc' },
  );
  return held.map((c) => ({
    pool: c.record.pool,
    family: c.family,
    address: c.address,
    prefix: c.prefix,
    gateway: c.gateway,
    dns_servers: c.dns_servers,
  }));
}

/**
 * A node's addresses as one resource: the pools its ports draw from, what it
 * holds, and the network_data.json the config drive and DHCP are built from.
 */
export class NodeAddresses {
  constructor(
    private readonly ipam: IpamService,
    private readonly nodes: NodeService,
    private readonly ports: PortService,
  ) {}

  async claim(nodeIdent: string, pools: readonly string[]): Promise<NetworkAddressInput[]> {
    const node = await this.nodes.get(nodeIdent);
    await claimAddressesForNode(this.ipam, node, pools);
    return nodeAddresses(this.ipam, node);
  }

  async list(nodeIdent: string): Promise<NetworkAddressInput[]> {
    return nodeAddresses(this.ipam, await this.nodes.get(nodeIdent));
  }

  async release(nodeIdent: string): Promise<number> {
    return releaseNodeAddresses(this.ipam, await this.nodes.get(nodeIdent));
  }

  async networkData(nodeIdent: string): Promise<NetworkData> {
    const node = await this.nodes.get(nodeIdent);
    return networkDataFor(this.ipam, node, await this.ports.listForNode(node));
  }
}

/** A node's network_data.json: one link per port, one network per address it holds. */
export async function networkDataFor(
  ipam: IpamService,
  node: { uuid: string },
  ports: readonly { uuid: string; address: string; pxe_enabled: boolean }[],
): Promise<NetworkData> {
  return renderNetworkData(
    ports.map((p) => ({ uuid: p.uuid, mac: p.address, pxe_enabled: p.pxe_enabled })),
    await nodeAddresses(ipam, node),
  );
}
