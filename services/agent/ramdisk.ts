import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidParameterValue, NodeNotFound } from '../errors.js';
import {
  normalizeMac,
  type JsonObject,
  type Node,
  type NodeRepository,
  type NodeService,
  type ProvisionState,
} from '../nodes/index.js';
import type { PortRepository } from '../ports/index.js';
import { standardPluginData, type InventoryStore } from '../inspect/index.js';
import { MASK, maskSecrets } from '../secrets/index.js';
import type { NodeHistory } from '../events/index.js';
import type { AgentCheckIn } from './check-in.js';
import { AGENT_STATES, LOOKUP_STATES } from './session.js';

/** Heartbeats move these on: the conductor then reads the agent's progress. */
const HEARTBEAT_RESUMES: readonly ProvisionState[] = ['wait call-back', 'clean wait', 'rescue wait', 'service wait'];

/**
 * instance_info keys that a lookup masks besides the secrets: Ironic masks
 * `image_url` (a Swift temp URL); Anvil's `image_source` is the URL the
 * image is fetched from, credentials and all. The agent needs neither: the
 * conductor hands it the image URL with the (token-bearing) write_image command.
 */
const LOOKUP_HIDDEN_INSTANCE_KEYS = ['image_source', 'image_url'];

export interface Heartbeat {
  callback_url: string;
  agent_token?: string;
  agent_version?: string;
  agent_status?: string;
  agent_status_message?: string;
}

export interface LookupAnswer {
  node: JsonObject;
  config: JsonObject;
}

export interface LookupResult {
  answer: LookupAnswer;
  /** Whether this lookup was the one handed the agent token (the first of this boot). */
  tokenIssued: boolean;
}

export interface RamdiskDeps {
  nodes: NodeRepository;
  nodeService: NodeService;
  ports: PortRepository;
  checkIn: AgentCheckIn;
  inventory: InventoryStore;
  heartbeatTimeoutSeconds: number;
  addPorts: boolean;
  /** Where the agent's lookup and first call back of each boot are told, on the node's timeline. */
  history: Pick<NodeHistory, 'record'>;
}

/**
 * The ramdisk agent's side of the API (IPA's protocol), public as in Ironic.
 * Lookup finds a node only in a lookup state and only by its own ports, and
 * hands out the node's agent token once per boot; every heartbeat must carry
 * that token; inspection data is stored and moves inspection on.
 *
 * What an agent is told never says more than that: an unknown node, a node
 * outside the agent's states, a wrong token and another node's token all
 * answer the same 404 NodeNotFound, Ironic's rule for lookup
 * (`restrict_lookup`: "we don't disclose the difference between nodes that
 * are not found at all and nodes in a wrong state") applied to heartbeats
 * too, where Ironic itself would answer 400 for a wrong token and so give
 * away that the node exists. A missing token is refused with Ironic's 400
 * before the node is even looked up, so it says nothing either.
 */
export class RamdiskService {
  constructor(private readonly deps: RamdiskDeps) {}

  /**
   * Ironic's lookup answer (`_LOOKUP_RETURN_FIELDS`: uuid, properties,
   * instance_info, driver_internal_info; then `config`), with secrets masked
   * as Ironic's node_sanitize does, and the image URL masked as well. The
   * token itself goes only to the first lookup since the agent booted
   * (Ironic's get_node_with_token); later lookups see `******`.
   */
  async lookup(addresses: string[], nodeUuid: string | null): Promise<LookupResult> {
    const node = await this.find(addresses, nodeUuid, LOOKUP_STATES);
    // Set inside the check-in's callback, which the compiler's narrowing does not follow.
    const issued: { token: string | null } = { token: null };
    if (typeof node.driver_internal_info.agent_secret_token !== 'string') {
      // The first agent to look the node up gets the token (decided under the lock); later lookups get it masked.
      await this.deps.checkIn.agentCheckedIn(node, [], (fresh) => {
        if (!LOOKUP_STATES.includes(fresh.provision_state)) throw lookupNotFound(addresses, nodeUuid);
        if (typeof fresh.driver_internal_info.agent_secret_token === 'string') return {};
        issued.token = randomBytes(32).toString('base64url');
        return { driver_internal_info: { ...fresh.driver_internal_info, agent_secret_token: issued.token } };
      });
      if (issued.token !== null)
        await this.deps.history.record(node.id, {
          severity: 'INFO',
          event_type: 'agent',
          event: `Agent looked the node up (${addresses.join(', ') || `uuid ${nodeUuid ?? ''}`}) and was given its token`,
        });
    }
    return {
      answer: {
        node: {
          uuid: node.uuid,
          properties: node.properties,
          instance_info: maskSecrets(node.instance_info, LOOKUP_HIDDEN_INSTANCE_KEYS),
          driver_internal_info: maskSecrets(node.driver_internal_info),
        },
        config: {
          heartbeat_timeout: this.deps.heartbeatTimeoutSeconds,
          agent_token: issued.token ?? MASK,
          agent_token_required: true,
          metrics: { backend: 'noop', prepend_host: false, prepend_uuid: false, global_prefix: null },
          metrics_statsd: {},
        },
      },
      tokenIssued: issued.token !== null,
    };
  }

  /**
   * Records the agent's callback URL and moves a waiting node on. Refused,
   * with nothing written, unless the node is in one of the agent's states
   * and the token is its current one; checked again under the node's lock,
   * so a heartbeat that raced the node out of those states writes nothing.
   */
  async heartbeat(ident: string, beat: Heartbeat): Promise<void> {
    const token = beat.agent_token;
    // Ironic's own first check; made before the node is read, so it tells nothing about the node.
    if (token === undefined || token === '')
      throw new InvalidParameterValue('Agent token is required for heartbeat processing.');
    const accept = (node: Node): void => {
      if (!AGENT_STATES.includes(node.provision_state) || !tokenMatches(node, token)) throw new NodeNotFound(ident);
      const known = node.driver_internal_info.agent_url;
      if (typeof known === 'string' && known !== beat.callback_url)
        throw new InvalidParameterValue(
          `Detected change in ramdisk provided "callback_url": node ${node.uuid}'s agent called back from ${known}.`,
        );
    };
    const node = await this.deps.nodeService.get(ident);
    accept(node);
    // Only the first call back of a boot is told (decided under the lock): later heartbeats repeat it every few seconds.
    const callBack = { first: false };
    await this.deps.checkIn.agentCheckedIn(node, HEARTBEAT_RESUMES, (fresh) => {
      accept(fresh);
      callBack.first = typeof fresh.driver_internal_info.agent_url !== 'string';
      return {
        driver_internal_info: {
          ...fresh.driver_internal_info,
          agent_url: beat.callback_url,
          agent_last_heartbeat: new Date().toISOString(),
          agent_version: beat.agent_version ?? null,
        },
      };
    });
    if (callBack.first)
      await this.deps.history.record(node.id, {
        severity: 'INFO',
        event_type: 'agent',
        event: `Agent${beat.agent_version === undefined ? '' : ` ${beat.agent_version}`} called back from ${beat.callback_url}`,
      });
  }

  /** In-band inspection data: stored as the node's inventory, then inspection moves on. */
  async continueInspection(data: JsonObject, nodeUuid: string | null): Promise<string> {
    const inventory = data.inventory;
    if (inventory === null || typeof inventory !== 'object' || Array.isArray(inventory)) {
      throw new InvalidParameterValue('Inspection data must carry an "inventory" object.');
    }
    const inv = inventory as JsonObject;
    const interfaces = Array.isArray(inv.interfaces) ? (inv.interfaces as JsonObject[]) : [];
    const macs = interfaces.map((i) => (typeof i.mac_address === 'string' ? i.mac_address : ''));
    const node = await this.find(macs, nodeUuid, ['inspect wait']);
    const { inventory: _inv, ...received } = data;
    if (this.deps.addPorts)
      await this.deps.ports.createMissing(
        node.id,
        macs.map((m) => normalizeMac(m)).filter((m): m is string => m !== null),
      );
    const pxeMacs = (await this.deps.ports.listForNode(node.id)).filter((p) => p.pxe_enabled).map((p) => p.address);
    await this.deps.inventory.save(node.id, {
      inventory: inv,
      plugin_data: standardPluginData(inv, received, pxeMacs),
    });
    await this.deps.checkIn.agentCheckedIn(node, ['inspect wait'], (fresh) => ({
      properties: { ...fresh.properties, ...propertiesOf(inv) },
      driver_internal_info: { ...fresh.driver_internal_info, inspection_reported: true },
    }));
    return node.uuid;
  }

  /**
   * The node an agent asks about, by uuid or else by its NICs' MACs, only in
   * one of `states`, and only when the MACs it gives are that node's: by
   * uuid, one of them at least must be a port of the node (when it has
   * ports); by MACs, they must all lead to one node (as Ironic's
   * get_node_by_port_addresses). Any miss is the same 404 (restrict_lookup).
   */
  private async find(addresses: string[], nodeUuid: string | null, states: readonly ProvisionState[]): Promise<Node> {
    const macs = addresses.map((a) => normalizeMac(a)).filter((m): m is string => m !== null);
    if (nodeUuid === null && macs.length === 0)
      throw new InvalidParameterValue('Lookup needs node_uuid or at least one valid MAC address in "addresses".');
    const node = nodeUuid !== null ? await this.deps.nodes.findByUuid(nodeUuid) : await this.byMacs(macs);
    if (node === null || !states.includes(node.provision_state)) throw lookupNotFound(addresses, nodeUuid);
    if (nodeUuid !== null && macs.length > 0) {
      const ports = await this.deps.ports.listForNode(node.id);
      if (ports.length > 0 && !ports.some((p) => macs.includes(p.address))) throw lookupNotFound(addresses, nodeUuid);
    }
    return node;
  }

  private async byMacs(macs: string[]): Promise<Node | null> {
    const owners = new Set<number>();
    for (const mac of macs) {
      const port = await this.deps.ports.findByAddress(mac);
      if (port) owners.add(port.node_id);
    }
    const [only, ...others] = owners;
    return only === undefined || others.length > 0 ? null : this.deps.nodes.getById(only);
  }
}

function lookupNotFound(addresses: string[], nodeUuid: string | null): NodeNotFound {
  return new NodeNotFound(nodeUuid ?? addresses.join(','));
}

/**
 * Whether `presented` is the node's agent token, in constant time: both are
 * hashed first, so the comparison never throws on a length mismatch and its
 * time says nothing of the stored token's length or content.
 */
function tokenMatches(node: Node, presented: string): boolean {
  const stored = node.driver_internal_info.agent_secret_token;
  const equal = timingSafeEqual(digest(typeof stored === 'string' ? stored : ''), digest(presented));
  return typeof stored === 'string' && equal;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Node properties from IPA's inventory, as Ironic's inspection sets them. */
function propertiesOf(inv: JsonObject): JsonObject {
  const props: JsonObject = {};
  const cpu = inv.cpu as JsonObject | undefined;
  const memory = inv.memory as JsonObject | undefined;
  if (typeof cpu?.count === 'number') props.cpus = cpu.count;
  if (typeof cpu?.architecture === 'string') props.cpu_arch = cpu.architecture;
  if (typeof memory?.physical_mb === 'number') props.memory_mb = memory.physical_mb;
  const sizes = (Array.isArray(inv.disks) ? (inv.disks as JsonObject[]) : []).map((d) => Number(d.size ?? 0));
  const largest = Math.max(0, ...sizes);
  if (largest > 0) props.local_gb = Math.max(0, Math.floor(largest / 2 ** 30) - 1);
  return props;
}
