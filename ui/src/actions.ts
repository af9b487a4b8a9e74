import type { ApiClient } from './api.js';
import type { NodeRow } from './fleet.js';

export type ActionId =
  | 'manage'
  | 'inspect'
  | 'provide'
  | 'deploy'
  | 'undeploy'
  | 'power-on'
  | 'power-off'
  | 'reboot'
  | 'maintenance-on'
  | 'maintenance-off';

/** What a deploy writes to each host: Ironic's instance_info image fields. */
export interface DeployImage {
  url: string;
  /** sha256 in hex, or a URL to a checksum file. */
  checksum: string;
}

export interface NodeAction {
  id: ActionId;
  label: string;
  /** What it does, for the confirmation: "<verb> N hosts: <effect>". */
  verb: string;
  effect: string;
  /** Whether the node's state lets it (Ironic's state machine: the API refuses the rest with 409). */
  allowed(node: NodeRow): boolean;
  perform(client: ApiClient, node: NodeRow, image: DeployImage | null, user: string): Promise<void>;
}

const provision = (client: ApiClient, node: NodeRow, target: string) =>
  client.request<void>('PUT', `/v1/nodes/${node.uuid}/states/provision`, { target });
const power = (client: ApiClient, node: NodeRow, target: string) =>
  client.request<void>('PUT', `/v1/nodes/${node.uuid}/states/power`, { target });
const inState =
  (...states: string[]) =>
  (node: NodeRow) =>
    states.includes(node.provision_state);
/** A power change is refused while another is under way. */
const powerIdle = (node: NodeRow) => node.target_power_state === null;

/** The verbs the state machine takes from each stable state (services/nodes/states.ts, by hand: the UI speaks only HTTP). */
const UNDEPLOYABLE = [
  'active',
  'wait call-back',
  'deploy failed',
  'error',
  'rescue',
  'rescue wait',
  'rescue failed',
  'unrescue failed',
  'service wait',
  'service failed',
];

export const ACTIONS: readonly NodeAction[] = [
  {
    id: 'manage',
    label: 'Manage',
    verb: 'Manage',
    effect: 'verify their BMC credentials (enroll) or take them out of the available pool, to manageable',
    allowed: inState('enroll', 'available', 'inspect failed', 'clean failed', 'adopt failed'),
    perform: (client, node) => provision(client, node, 'manage'),
  },
  {
    id: 'inspect',
    label: 'Inspect',
    verb: 'Inspect',
    effect: 'boot the agent and record their hardware inventory, then return to manageable',
    allowed: inState('manageable', 'inspect failed'),
    perform: (client, node) => provision(client, node, 'inspect'),
  },
  {
    id: 'provide',
    label: 'Provide',
    verb: 'Provide',
    effect: 'clean their disks (automated cleaning) and make them available',
    allowed: inState('manageable'),
    perform: (client, node) => provision(client, node, 'provide'),
  },
  {
    id: 'deploy',
    label: 'Deploy…',
    verb: 'Deploy',
    effect: 'network-boot the agent and write the image to their disk, overwriting what is there',
    allowed: inState('available', 'deploy failed'),
    perform: async (client, node, image) => {
      if (image === null) throw new Error('A deploy needs an image.');
      const hex = /^[0-9a-f]{64}$/i.test(image.checksum);
      await client.request('PATCH', `/v1/nodes/${node.uuid}`, [
        { op: 'add', path: '/instance_info/image_source', value: image.url },
        ...(hex
          ? [
              { op: 'add', path: '/instance_info/image_os_hash_algo', value: 'sha256' },
              { op: 'add', path: '/instance_info/image_os_hash_value', value: image.checksum.toLowerCase() },
            ]
          : [{ op: 'add', path: '/instance_info/image_checksum', value: image.checksum }]),
      ]);
      await provision(client, node, 'active');
    },
  },
  {
    id: 'undeploy',
    label: 'Undeploy',
    verb: 'Undeploy',
    effect: 'power them off, clean their disks and return them to available: their operating system and data are lost',
    allowed: inState(...UNDEPLOYABLE),
    perform: (client, node) => provision(client, node, 'deleted'),
  },
  {
    id: 'power-on',
    label: 'Power on',
    verb: 'Power on',
    effect: 'ask their BMC to power them on',
    allowed: (node) => powerIdle(node) && node.power_state !== 'power on',
    perform: (client, node) => power(client, node, 'power on'),
  },
  {
    id: 'power-off',
    label: 'Power off',
    verb: 'Power off',
    effect: 'ask their BMC to cut their power at once (not a clean shutdown)',
    allowed: (node) => powerIdle(node) && node.power_state !== 'power off',
    perform: (client, node) => power(client, node, 'power off'),
  },
  {
    id: 'reboot',
    label: 'Reboot',
    verb: 'Reboot',
    effect: 'power-cycle them through their BMC',
    allowed: (node) => powerIdle(node) && node.power_state === 'power on',
    perform: (client, node) => power(client, node, 'rebooting'),
  },
  {
    id: 'maintenance-on',
    label: 'Maintenance on',
    verb: 'Put in maintenance',
    effect: 'stop Anvil from acting on them (no power sync, no new operations)',
    allowed: (node) => !node.maintenance,
    perform: (client, node, _image, user) =>
      client.request<void>('PUT', `/v1/nodes/${node.uuid}/maintenance`, {
        reason: `Set from the dashboard by ${user}`,
      }),
  },
  {
    id: 'maintenance-off',
    label: 'Maintenance off',
    verb: 'Take out of maintenance',
    effect: 'let Anvil act on them again',
    allowed: (node) => node.maintenance,
    perform: (client, node) => client.request<void>('DELETE', `/v1/nodes/${node.uuid}/maintenance`),
  },
];

export interface BulkOutcome {
  done: number;
  failed: { node: NodeRow; message: string }[];
  /** Hosts whose state does not allow the action: not asked. */
  skipped: number;
}

/** How many requests a bulk action keeps in flight: enough to be quick, few enough to leave the API for others. */
const IN_FLIGHT = 8;

/** Carries `action` out on every node its state allows; each failure is kept with the API's reason. */
export async function performBulk(
  client: ApiClient,
  action: NodeAction,
  nodes: readonly NodeRow[],
  image: DeployImage | null,
  user: string,
): Promise<BulkOutcome> {
  const eligible = nodes.filter((n) => action.allowed(n));
  const outcome: BulkOutcome = { done: 0, failed: [], skipped: nodes.length - eligible.length };
  let next = 0;
  const worker = async () => {
    while (next < eligible.length) {
      const node = eligible[next++]!;
      try {
        await action.perform(client, node, image, user);
        outcome.done++;
      } catch (err) {
        outcome.failed.push({ node, message: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, eligible.length) }, worker));
  return outcome;
}
