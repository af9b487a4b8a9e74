import { LRUCache } from 'lru-cache';
import { nodeHealth, type Node } from '../../services/nodes/index.js';
import { MASK, maskSecrets } from '../../services/secrets/index.js';
import type { Minor } from '../microversion.js';
import { project, type FieldVersions } from './fields.js';
import { resourceLinksAt } from './links.js';

/** Node fields and the version that introduced each (Ironic's api-ref). */
export const NODE_FIELD_VERSIONS: FieldVersions = {
  uuid: 1,
  instance_uuid: 1,
  power_state: 1,
  target_power_state: 1,
  provision_state: 1,
  target_provision_state: 1,
  maintenance: 1,
  maintenance_reason: 1,
  last_error: 1,
  console_enabled: 1,
  driver: 1,
  driver_info: 1,
  driver_internal_info: 1,
  extra: 1,
  instance_info: 1,
  properties: 1,
  reservation: 1,
  chassis_uuid: 1,
  created_at: 1,
  updated_at: 1,
  provision_updated_at: 1,
  inspection_started_at: 1,
  inspection_finished_at: 1,
  links: 1,
  ports: 1,
  name: 5,
  clean_step: 7,
  raid_config: 12,
  target_raid_config: 12,
  states: 14,
  network_interface: 20,
  resource_class: 21,
  portgroups: 24,
  boot_interface: 31,
  console_interface: 31,
  deploy_interface: 31,
  inspect_interface: 31,
  management_interface: 31,
  power_interface: 31,
  raid_interface: 31,
  vendor_interface: 31,
  volume: 32,
  storage_interface: 33,
  traits: 37,
  rescue_interface: 38,
  bios_interface: 40,
  fault: 42,
  deploy_step: 44,
  conductor_group: 46,
  automated_clean: 47,
  protected: 48,
  protected_reason: 48,
  conductor: 49,
  owner: 50,
  description: 51,
  allocation_uuid: 52,
  retired: 61,
  retired_reason: 61,
  lessee: 65,
  network_data: 66,
  boot_mode: 75,
  secure_boot: 75,
  shard: 82,
  parent_node: 83,
  firmware_interface: 86,
  service_step: 89,
  disable_power_off: 95,
  instance_name: 104,
  health: 109,
};

/** What `GET /v1/nodes` shows without `fields` or detail (ironicclient's default columns). */
export const NODE_LIST_FIELDS = ['uuid', 'name', 'instance_uuid', 'power_state', 'provision_state', 'maintenance'];

export interface NodeViewContext {
  /** The request's base URL (baseUrl), read once for every link of every node. */
  base: string;
  minor: Minor;
  /** The live conductor that owns a node on the hash ring, shown as its `conductor`. */
  conductorOf: (nodeUuid: string, group: string) => string | null;
}

/**
 * Where a node keeps secrets, masked here and never read by a patch: the
 * sensitive keys of these attributes, and the extra keys listed (Swift temp
 * URLs carry credentials in the query string).
 */
export const NODE_SECRETS = { driver_info: [], driver_internal_info: [], instance_info: ['image_url'] } as const;

/** A node as a list reads it: for a `fields` list, only the columns those fields need are set (nodeColumnsFor). */
export type ListedNode = Pick<Node, 'id' | 'uuid' | 'conductor_group'> & Partial<Node>;

interface DerivedField {
  /** The node columns the shown value is computed from. */
  from: readonly (keyof Node)[];
  value: (node: Node, ctx: NodeViewContext) => unknown;
}

function instanceInfoShown(node: Node): Record<string, unknown> {
  const shown = maskSecrets(node.instance_info);
  for (const key of NODE_SECRETS.instance_info) if (typeof shown[key] === 'string') shown[key] = MASK;
  return shown;
}

const link = (suffix: string): DerivedField => ({
  from: ['uuid'],
  value: (node, ctx) => resourceLinksAt(ctx.base, 'nodes', node.uuid, suffix),
});

/** The fields shown other than as stored: secrets masked, states in the request's words, links. */
const DERIVED: Readonly<Record<string, DerivedField>> = {
  provision_state: {
    from: ['provision_state'],
    value: (node, ctx) => provisionStateAt(node.provision_state, ctx.minor),
  },
  driver_info: { from: ['driver_info'], value: (node) => maskSecrets(node.driver_info) },
  driver_internal_info: { from: ['driver_internal_info'], value: (node) => maskSecrets(node.driver_internal_info) },
  instance_info: { from: ['instance_info'], value: instanceInfoShown },
  conductor: {
    from: ['uuid', 'conductor_group'],
    value: (node, ctx) => ctx.conductorOf(node.uuid, node.conductor_group),
  },
  health: { from: ['fault', 'power_state', 'health'], value: (node) => nodeHealth(node) },
  links: link(''),
  ports: link('/ports'),
  portgroups: link('/portgroups'),
  states: link('/states'),
  volume: link('/volume'),
};

/**
 * The columns a list must read to show `only` (with `links`, always shown),
 * plus those every list uses: its id, uuid and conductor group.
 */
export function nodeColumnsFor(only: readonly string[]): (keyof Node)[] {
  const columns = new Set<keyof Node>(['id', 'uuid', 'conductor_group']);
  for (const field of [...only, 'links']) {
    for (const column of DERIVED[field]?.from ?? [field as keyof Node]) columns.add(column);
  }
  return [...columns];
}

/** One field of the shown node: read from the node as it is, or derived. */
type FieldPlan = readonly (readonly [field: string, derived: DerivedField | undefined])[];

/**
 * Plans by version and `fields` list: the same for every node of a list, and
 * the same few lists come again (the whole node; the columns BMO polls).
 * Bounded, since `fields` is the client's to choose.
 */
const plans = new LRUCache<string, FieldPlan>({ max: 256 });

function planFor(minor: Minor, only: readonly string[] | null): FieldPlan {
  const key = only === null ? String(minor) : `${minor}:${only.join(',')}`;
  const cached = plans.get(key);
  if (cached !== undefined) return cached;
  const wanted = only === null ? null : new Set([...only, 'links']);
  const plan = Object.entries(NODE_FIELD_VERSIONS)
    .filter(([field, since]) => since <= minor && (wanted === null || wanted.has(field)))
    .map(([field]) => [field, DERIVED[field]] as const);
  plans.set(key, plan);
  return plan;
}

/**
 * The node as Ironic shows it, secrets masked, fields limited by version and
 * `fields`. With `only`, just those fields are built, so `node` need hold
 * only the columns nodeColumnsFor(only) names. Built in one pass, straight
 * into the answer: a detail list builds a thousand of these.
 */
export function serializeNode(node: ListedNode, ctx: NodeViewContext, only: readonly string[] | null = null) {
  // Every field read below is one of the columns the caller selected for `only` (or the whole node without it).
  const whole = node as Node & Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [field, derived] of planFor(ctx.minor, only)) {
    const value = derived === undefined ? whole[field] : derived.value(whole, ctx);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/** A provision state in the words of an older version: Ironic renamed two since 1.1. */
function provisionStateAt(state: Node['provision_state'], minor: Minor): string | null {
  // Before 1.2 `available` was "no state"; before 1.39 `inspect wait` was shown as `inspecting`.
  if (minor < 2 && state === 'available') return null;
  if (minor < 39 && state === 'inspect wait') return 'inspecting';
  return state;
}

/** `GET /v1/nodes/{id}/states`: the state fields, each from the version that shows it on the node. */
export function serializeNodeStates(node: Node, minor: Minor) {
  const states: Record<string, unknown> = {
    console_enabled: node.console_enabled,
    last_error: node.last_error,
    power_state: node.power_state,
    provision_state: provisionStateAt(node.provision_state, minor),
    provision_updated_at: node.provision_updated_at,
    raid_config: node.raid_config,
    target_power_state: node.target_power_state,
    target_provision_state: node.target_provision_state,
    target_raid_config: node.target_raid_config,
    boot_mode: node.boot_mode,
    secure_boot: node.secure_boot,
  };
  return project(states, NODE_FIELD_VERSIONS, minor, null);
}
