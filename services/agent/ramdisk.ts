import { randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidAgentToken, InvalidParameterValue, NodeNotFound } from '../errors.js';
import { normalizeMac } from '../nodes/index.js';
import type { JsonObject, Node } from '../nodes/index.js';
import type { NodeRepository } from '../nodes/index.js';
import type { NodeService } from '../nodes/index.js';
import type { ProvisionState } from '../nodes/index.js';
import type { PortRepository } from '../ports/index.js';
import type { InventoryStore } from '../inspect/index.js';
import { maskSecrets } from '../secrets/index.js';
import type { AgentCheckIn } from './check-in.js';

/** Ironic's LOOKUP_ALLOWED_STATES: an agent may find its node only while the node expects one. */
export const LOOKUP_STATES: readonly ProvisionState[] = [
  'deploying',
  'wait call-back',
  'cleaning',
  'clean wait',
  'inspecting',
  'inspect wait',
  'rescuing',
  'rescue wait',
  'servicing',
  'service wait',
];

/** Heartbeats move these on: the conductor then reads the agent's progress. */
const HEARTBEAT_RESUMES: readonly ProvisionState[] = ['wait call-back', 'clean wait', 'rescue wait', 'service wait'];

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

export interface RamdiskDeps {
  nodes: NodeRepository;
  nodeService: NodeService;
  ports: PortRepository;
  checkIn: AgentCheckIn;
  inventory: InventoryStore;
  heartbeatTimeoutSeconds: number;
  addPorts: boolean;
}

/**
 * The ramdisk agent's side of the API (IPA's protocol): lookup hands out the
 * node's agent token once; heartbeats must carry it; inspection data is
 * stored and moves inspection on. Everything is public and token-guarded,
 * as in Ironic.
 */
export class RamdiskService {
  constructor(private readonly deps: RamdiskDeps) {}

  async lookup(addresses: string[], nodeUuid: string | null): Promise<LookupAnswer> {
    const node = await this.find(addresses, nodeUuid);
    // Set inside the check-in's callback, which the compiler's narrowing does not follow.
    const issued: { token: string | null } = { token: null };
    if (typeof node.driver_internal_info.agent_secret_token !== 'string') {
      // The first agent to look the node up gets the token (decided under the lock); later lookups get it masked.
      await this.deps.checkIn.agentCheckedIn(node, [], (fresh) => {
        if (typeof fresh.driver_internal_info.agent_secret_token === 'string') return {};
        issued.token = randomBytes(32).toString('base64url');
        return { driver_internal_info: { ...fresh.driver_internal_info, agent_secret_token: issued.token } };
      });
    }
    return {
      node: {
        uuid: node.uuid,
        properties: node.properties,
        instance_info: maskSecrets(node.instance_info),
        driver_internal_info: maskSecrets(node.driver_internal_info),
      },
      config: {
        heartbeat_timeout: this.deps.heartbeatTimeoutSeconds,
        agent_token: issued.token ?? '******',
        agent_token_required: true,
        metrics: { backend: 'noop', prepend_host: false, prepend_uuid: false, global_prefix: null },
        metrics_statsd: {},
      },
    };
  }

  async heartbeat(ident: string, beat: Heartbeat): Promise<void> {
    const node = await this.deps.nodeService.get(ident);
    checkToken(node, beat.agent_token);
    const known = node.driver_internal_info.agent_url;
    if (typeof known === 'string' && known !== beat.callback_url && LOOKUP_STATES.includes(node.provision_state)) {
      throw new InvalidParameterValue(
        `Node ${node.uuid}'s agent already called back from ${known}; a different callback_url is refused.`,
      );
    }
    await this.deps.checkIn.agentCheckedIn(node, HEARTBEAT_RESUMES, (fresh) => ({
      driver_internal_info: {
        ...fresh.driver_internal_info,
        agent_url: beat.callback_url,
        agent_last_heartbeat: new Date().toISOString(),
        agent_version: beat.agent_version ?? null,
      },
    }));
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
    const { inventory: _inv, ...pluginData } = data;
    await this.deps.inventory.save(node.id, { inventory: inv, plugin_data: pluginData });
    if (this.deps.addPorts)
      await this.deps.ports.createMissing(
        node.id,
        macs.map((m) => normalizeMac(m)).filter((m): m is string => m !== null),
      );
    await this.deps.checkIn.agentCheckedIn(node, ['inspect wait'], (fresh) => ({
      properties: { ...fresh.properties, ...propertiesOf(inv) },
      driver_internal_info: { ...fresh.driver_internal_info, inspection_reported: true },
    }));
    return node.uuid;
  }

  /** The node an agent asks about: by uuid, else by its NICs; 404 alike for unknown and not-now, as Ironic's restrict_lookup. */
  private async find(
    addresses: string[],
    nodeUuid: string | null,
    states: readonly ProvisionState[] = LOOKUP_STATES,
  ): Promise<Node> {
    let node: Node | null = null;
    if (nodeUuid !== null) {
      node = await this.deps.nodes.findByUuid(nodeUuid);
    } else {
      const macs = addresses.map((a) => normalizeMac(a)).filter((m): m is string => m !== null);
      if (macs.length === 0)
        throw new InvalidParameterValue('Lookup needs node_uuid or at least one valid MAC address in "addresses".');
      for (const mac of macs) {
        const port = await this.deps.ports.findByAddress(mac);
        if (port) {
          node = await this.deps.nodes.getById(port.node_id);
          break;
        }
      }
    }
    if (!node || !states.includes(node.provision_state)) throw new NodeNotFound(nodeUuid ?? addresses.join(','));
    return node;
  }
}

function checkToken(node: Node, presented: string | undefined): void {
  if (presented === undefined || presented === '')
    throw new InvalidParameterValue('An agent token is required: look the node up first.');
  const stored = node.driver_internal_info.agent_secret_token;
  if (typeof stored !== 'string') throw new InvalidAgentToken();
  const a = Buffer.from(presented);
  const b = Buffer.from(stored);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new InvalidAgentToken();
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
