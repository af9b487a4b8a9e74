import { IpamError, type IpamService } from '../../ipam/index.js';
import type { BootBackend, BootHost, ServedEvent } from '../../pxe/index.js';
import { outlastOutage } from '../db/index.js';
import type { NodeHistory } from '../events/index.js';
import { nodeAddresses } from '../ipam/index.js';
import { normalizeMac, type Node, type NodeRepository } from '../nodes/index.js';
import type { PortRepository } from '../ports/index.js';
import type { AgentImageDefaults } from './agent-images.js';
import { bootActionFor } from './boot-action.js';

/** How long a boot lookup waits for the database to come back before the boot is refused. */
const OUTAGE_WAIT_MS = 15_000;

export interface NodeBootBackendDeps {
  nodes: NodeRepository;
  ports: PortRepository;
  ipam: IpamService;
  history: NodeHistory;
  /** Where the agent reaches the API: `ipa-api-url`. */
  apiUrl: string;
  /** The configured agent images, for nodes whose driver_info names none. */
  agentImages: AgentImageDefaults;
}

/**
 * The network boot services' view of Anvil: hosts by MAC (a port) or by IP
 * (an IPAM address), with the lease IPAM holds for them and what they should
 * boot given their node's state.
 */
export class NodeBootBackend implements BootBackend {
  constructor(private readonly deps: NodeBootBackendDeps) {}

  /**
   * A host's firmware asks once and, refused, boots whatever comes next (its
   * disk): a lookup waits out a short database outage (a PostgreSQL restart)
   * rather than fail the boot and leave its node waiting for a call back.
   */
  getByMac(mac: string): Promise<BootHost | null> {
    return outlastOutage(() => this.lookUpMac(mac), OUTAGE_WAIT_MS);
  }

  getByIp(address: string): Promise<BootHost | null> {
    return outlastOutage(() => this.lookUpIp(address), OUTAGE_WAIT_MS);
  }

  private async lookUpMac(mac: string): Promise<BootHost | null> {
    const normalized = normalizeMac(mac);
    if (normalized === null) return null;
    const port = await this.deps.ports.findByAddress(normalized);
    if (!port || !port.pxe_enabled) return null;
    return this.hostOf(await this.deps.nodes.getById(port.node_id), normalized);
  }

  private async lookUpIp(address: string): Promise<BootHost | null> {
    const uuid = await this.nodeHolding(address);
    const node = uuid === null ? null : await this.deps.nodes.findByUuid(uuid);
    if (!node) return null;
    const pxe = (await this.deps.ports.listForNode(node.id)).find((p) => p.pxe_enabled);
    return pxe ? this.hostOf(node, pxe.address) : null;
  }

  /** The uuid of the node whose IPAM claim holds `address`, or null when no node's does. */
  private async nodeHolding(address: string): Promise<string | null> {
    let owner: string | null;
    try {
      owner = await this.deps.ipam.ownerOf(address);
    } catch (err) {
      // Not an address at all (a malformed ciaddr): no host has it.
      if (err instanceof IpamError) return null;
      throw err;
    }
    if (owner === null || !owner.startsWith('node:')) return null;
    return owner.slice('node:'.length);
  }

  async recordServed(mac: string, what: ServedEvent): Promise<void> {
    const normalized = normalizeMac(mac);
    if (normalized === null) return;
    const port = await this.deps.ports.findByAddress(normalized);
    if (port) await this.record(port.node_id, normalized, what);
  }

  /**
   * As recordServed, for a download, which carries no MAC: the node is the
   * one holding the client's address, and the MAC its boot port's. Reads
   * only that: it runs for every file a host fetches.
   */
  async recordServedTo(address: string, what: ServedEvent): Promise<void> {
    const uuid = await this.nodeHolding(address);
    const node = uuid === null ? null : await this.deps.nodes.findStamp({ uuid });
    if (!node) return;
    const mac = await this.deps.ports.bootMacOf(node.id);
    if (mac !== null) await this.record(node.id, mac, what);
  }

  private async record(nodeId: number, mac: string, what: ServedEvent): Promise<void> {
    await this.deps.history.record(nodeId, {
      severity: 'INFO',
      event_type: 'boot',
      event: `${what.protocol} to ${mac}: ${what.detail}`,
    });
  }

  private async hostOf(node: Node, mac: string): Promise<BootHost> {
    const v4 = (await nodeAddresses(this.deps.ipam, node)).find((a) => a.family === 'ipv4');
    return {
      mac,
      nodeUuid: node.uuid,
      hostname: node.name,
      lease: v4 ? { address: v4.address, prefix: v4.prefix, gateway: v4.gateway, dnsServers: v4.dns_servers } : null,
      boot: bootActionFor(node, this.deps.apiUrl, this.deps.agentImages),
    };
  }
}
