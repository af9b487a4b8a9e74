import { randomUUID } from 'node:crypto';
import type { NodeLocks } from './locks.js';
import type { NodeHistory } from '../events/index.js';
import { checkTargetRaidConfig, findHardwareType, HARDWARE_TYPES, type HardwareType } from '../drivers/index.js';
import {
  InvalidParameterValue,
  InvalidState,
  NodeAssociated,
  NodeNotFound,
  NodeProtected,
  NotFound,
} from '../errors.js';
import { isUuidLike, isValidLogicalName, isValidNodeName, normalizeUuid } from './identifiers.js';
import { checkTrait } from './traits.js';
import { INTERFACE_FIELDS, type InterfaceField, type JsonObject, type Node, type NodeChanges } from './model.js';
import type { NodeListQuery, NodeRepository, NodeStamp } from './repository.js';
import { DELETE_ALLOWED_STATES, INTERFACE_CHANGE_STATES, PROTECTABLE_STATES, UPDATE_ALLOWED_STATES } from './states.js';

/** What a client may set when it creates a node (already shape-checked by the API). */
export type NodeCreate = Partial<
  Pick<
    Node,
    | 'uuid'
    | 'name'
    | 'driver_info'
    | 'instance_info'
    | 'properties'
    | 'extra'
    | 'network_data'
    | 'resource_class'
    | 'conductor_group'
    | 'automated_clean'
    | 'chassis_uuid'
    | 'description'
    | 'instance_name'
    | 'owner'
    | 'lessee'
    | 'shard'
    | 'parent_node'
    | 'disable_power_off'
    | 'retired'
    | 'retired_reason'
    | 'maintenance'
    | 'maintenance_reason'
  >
> &
  Partial<Record<InterfaceField, string | null>> & { driver: string };

/** Fields a PATCH may change (Ironic's allow-list); everything else is read-only. */
export const PATCHABLE_FIELDS = [
  'name',
  'driver',
  'driver_info',
  'instance_info',
  'instance_uuid',
  'instance_name',
  'properties',
  'extra',
  'network_data',
  'resource_class',
  'conductor_group',
  'automated_clean',
  'chassis_uuid',
  'description',
  'owner',
  'lessee',
  'shard',
  'parent_node',
  'disable_power_off',
  'protected',
  'protected_reason',
  'retired',
  'retired_reason',
  'maintenance',
  'maintenance_reason',
  ...INTERFACE_FIELDS,
] as const;
export type PatchableField = (typeof PATCHABLE_FIELDS)[number];
export type NodeUpdate = Partial<Pick<Node, PatchableField>>;

export interface UpdateOptions {
  /** On a driver change, the interfaces not asked for go to the new driver's defaults (API 1.45's reset_interfaces). */
  resetInterfaces?: boolean;
}

const MAX_TRAITS = 50;

export class NodeService {
  private readonly deleted: ((node: Node) => Promise<void>)[] = [];

  constructor(
    private readonly repo: NodeRepository,
    private readonly locks: NodeLocks,
    private readonly history: NodeHistory,
  ) {}

  hardwareTypes(): readonly HardwareType[] {
    return HARDWARE_TYPES;
  }

  /** By uuid when `ident` looks like one, else by name: 404 when absent, 400 when neither. */
  async get(ident: string): Promise<Node> {
    const by = identified(ident);
    const node = 'uuid' in by ? await this.repo.findByUuid(by.uuid) : await this.repo.findByName(by.name);
    if (!node) throw new NodeNotFound(ident);
    return node;
  }

  /** The node `get` would return with only `columns`, its secrets masked (NodeRepository.findMasked). */
  async getMasked<K extends keyof Node>(ident: string, columns: readonly K[]): Promise<Pick<Node, K>> {
    const node = await this.repo.findMasked(identified(ident), columns);
    if (!node) throw new NodeNotFound(ident);
    return node;
  }

  /** The stamp of the node `get` would return (NodeRepository.findStamp), with its errors. */
  async getStamp(ident: string): Promise<NodeStamp> {
    const stamp = await this.repo.findStamp(identified(ident));
    if (!stamp) throw new NodeNotFound(ident);
    return stamp;
  }

  /**
   * The node a request body names (a port's, a port group's, a volume
   * connector's `node_uuid`): one that does not exist is bad input (400), as
   * in Ironic, not a missing resource.
   */
  async getNamedInBody(ident: string): Promise<Node> {
    try {
      return await this.get(ident);
    } catch (err) {
      if (err instanceof NotFound) throw new InvalidParameterValue(err.message);
      throw err;
    }
  }

  /** A page of nodes for display, only `columns` read: secrets masked, never decrypted. */
  listMasked<K extends keyof Node>(query: NodeListQuery, columns: readonly K[]): Promise<Pick<Node, K>[]> {
    return this.repo.listMasked(query, columns);
  }

  /** A page of nodes as their stamps only (NodeRepository.listStamps). */
  listStamps(query: NodeListQuery): Promise<NodeStamp[]> {
    return this.repo.listStamps(query);
  }

  /** Nodes by id for display, secrets masked, in no particular order. */
  getManyMasked(ids: readonly number[]): Promise<Node[]> {
    return this.repo.getManyMasked(ids);
  }

  async create(input: NodeCreate, initialState: 'enroll' | 'available'): Promise<Node> {
    const type = this.hardwareType(input.driver);
    if (input.name !== undefined && input.name !== null) checkName(input.name);
    const now = new Date().toISOString();
    const interfaces = {} as Record<InterfaceField, string>;
    for (const field of INTERFACE_FIELDS) interfaces[field] = resolveInterface(type, field, input[field]);
    return this.repo.create({
      uuid: input.uuid ? normalizeUuid(input.uuid) : randomUUID(),
      name: input.name ?? null,
      driver: type.name,
      driver_info: input.driver_info ?? {},
      driver_internal_info: {},
      instance_info: input.instance_info ?? {},
      properties: input.properties ?? {},
      extra: input.extra ?? {},
      network_data: input.network_data ?? {},
      raid_config: {},
      target_raid_config: {},
      clean_step: {},
      deploy_step: {},
      service_step: {},
      traits: [],
      provision_state: initialState,
      target_provision_state: null,
      power_state: null,
      target_power_state: null,
      maintenance: input.maintenance ?? false,
      maintenance_reason: input.maintenance_reason ?? null,
      fault: null,
      health: null,
      last_error: null,
      reservation: null,
      conductor_group: (input.conductor_group ?? '').toLowerCase(),
      instance_uuid: null,
      instance_name: input.instance_name ?? null,
      allocation_uuid: null,
      resource_class: input.resource_class ?? null,
      ...interfaces,
      automated_clean: input.automated_clean ?? null,
      protected: false,
      protected_reason: null,
      retired: input.retired ?? false,
      retired_reason: input.retired_reason ?? null,
      owner: input.owner ?? null,
      lessee: input.lessee ?? null,
      description: input.description ?? null,
      shard: input.shard ?? null,
      parent_node: input.parent_node ?? null,
      disable_power_off: input.disable_power_off ?? false,
      console_enabled: false,
      boot_mode: null,
      secure_boot: null,
      chassis_uuid: input.chassis_uuid ? normalizeUuid(input.chassis_uuid) : null,
      inspection_started_at: null,
      inspection_finished_at: null,
      provision_updated_at: null,
      created_at: now,
      updated_at: null,
    });
  }

  /**
   * Applies a change computed from the node as it is under its lock, so two
   * concurrent PATCHes never overwrite each other's view.
   */
  async update(ident: string, compute: (node: Node) => NodeUpdate, options: UpdateOptions = {}): Promise<Node> {
    const node = await this.get(ident);
    return this.locks.withLock(node.id, ident, async () => {
      const current = await this.repo.getById(node.id);
      const changes = this.checkUpdate(current, compute(current), options);
      // A patch that changes nothing (a value set to what it is) writes nothing, as in Ironic.
      if (Object.keys(changes).length === 0) return current;
      return this.repo.update(node.id, changes);
    });
  }

  async delete(ident: string): Promise<void> {
    const node = await this.get(ident);
    if (node.protected) throw new NodeProtected(node.uuid);
    if (node.instance_uuid !== null && !node.maintenance) throw new NodeAssociated(node.uuid, node.instance_uuid);
    if (!DELETE_ALLOWED_STATES.includes(node.provision_state) && !node.maintenance) {
      throw new InvalidState(
        `Can not delete node "${node.uuid}" while it is in provision state "${node.provision_state}". ` +
          `Valid provision states to start deletion are: ${DELETE_ALLOWED_STATES.join(', ')}, or set maintenance mode.`,
      );
    }
    await this.locks.withLock(node.id, ident, () => this.repo.delete(node.id));
    for (const listener of this.deleted) await listener(node);
  }

  /** Runs `listener` after each node deletion, e.g. to release what the node held elsewhere. */
  onDeleted(listener: (node: Node) => Promise<void>): void {
    this.deleted.push(listener);
  }

  /**
   * Maintenance may be set in any state, mid-deploy included (that is what it
   * is for); only a running step's lock stands in the way.
   */
  async setMaintenance(ident: string, on: boolean, reason: string | null): Promise<Node> {
    const node = await this.get(ident);
    const changes: NodeChanges = on
      ? { maintenance: true, maintenance_reason: reason }
      : { maintenance: false, maintenance_reason: null, fault: null };
    const updated = await this.locks.withLock(node.id, ident, () =>
      this.repo.update(node.id, { ...changes, updated_at: new Date().toISOString() }),
    );
    await this.history.record(node.id, {
      severity: 'INFO',
      event_type: 'maintenance',
      event: on ? `Maintenance set${reason ? `: ${reason}` : ''}` : 'Maintenance cleared',
    });
    return updated;
  }

  /** Stores the RAID configuration the node's next RAID step is to build ({} clears it), checked by its RAID interface. */
  async setTargetRaidConfig(ident: string, config: JsonObject): Promise<Node> {
    const node = await this.get(ident);
    return this.locks.withLock(node.id, ident, async () => {
      const current = await this.repo.getById(node.id);
      checkTargetRaidConfig(current, config);
      return this.repo.update(node.id, { target_raid_config: config, updated_at: new Date().toISOString() });
    });
  }

  async setTraits(ident: string, traits: string[]): Promise<Node> {
    for (const t of traits) checkTrait(t);
    const unique = [...new Set(traits)];
    if (unique.length > MAX_TRAITS) {
      throw new InvalidParameterValue(`A node can have at most ${MAX_TRAITS} traits; ${unique.length} were given.`);
    }
    const node = await this.get(ident);
    return this.locks.withLock(node.id, ident, () => this.repo.update(node.id, { traits: unique }));
  }

  async addTrait(ident: string, trait: string): Promise<Node> {
    const node = await this.get(ident);
    return this.setTraits(node.uuid, [...node.traits, trait]);
  }

  async removeTrait(ident: string, trait: string): Promise<Node> {
    const node = await this.get(ident);
    if (!node.traits.includes(trait)) throw new NotFound(`Node ${node.uuid} doesn't have a trait '${trait}'`);
    return this.setTraits(
      node.uuid,
      node.traits.filter((t) => t !== trait),
    );
  }

  private hardwareType(driver: string): HardwareType {
    const type = findHardwareType(driver);
    if (!type) {
      throw new InvalidParameterValue(
        `Could not find the following driver(s) or hardware type(s): ${driver}. Valid drivers are: ${HARDWARE_TYPES.map((t) => t.name).join(', ')}.`,
      );
    }
    return type;
  }

  /** Ironic's update rules: what may change in which state, and what follows from a change. */
  private checkUpdate(node: Node, update: NodeUpdate, options: UpdateOptions): NodeChanges {
    const changed = (Object.keys(update) as PatchableField[]).filter(
      (k) => JSON.stringify(update[k]) !== JSON.stringify(node[k]),
    );
    const changes: NodeChanges = {};
    for (const k of changed) (changes as Record<string, unknown>)[k] = update[k];
    if (changed.length === 0) return changes;

    if (node.target_provision_state !== null && !UPDATE_ALLOWED_STATES.includes(node.provision_state)) {
      throw new InvalidState(`Node ${node.uuid} can not be updated while a state transition is in progress.`);
    }
    if (changes.name !== undefined && changes.name !== null) checkName(changes.name);
    if (changes.instance_uuid && node.instance_uuid) throw new NodeAssociated(node.uuid, node.instance_uuid);

    // The running console belongs to the old driver, which could then never stop it.
    if (changes.driver !== undefined && node.console_enabled) {
      throw new InvalidState(
        `Node ${node.uuid} can not update the driver while the console is enabled. Please stop the console first.`,
      );
    }
    const interfacesMayChange = INTERFACE_CHANGE_STATES.includes(node.provision_state) || node.maintenance;
    const type = this.hardwareType(changes.driver ?? node.driver);
    for (const field of INTERFACE_FIELDS) {
      const asked = changes[field];
      if (asked === undefined && changes.driver === undefined) continue;
      if (asked !== undefined && !interfacesMayChange) {
        throw new InvalidState(
          `Node ${node.uuid} can not have ${field} updated unless it is in one of allowed ` +
            `(${INTERFACE_CHANGE_STATES.join(', ')}) states or in maintenance mode. Current state is '${node.provision_state}'.`,
        );
      }
      // A new driver must support every interface the node keeps, unless it is
      // asked to reset them to its defaults; a removed interface (null) goes back to the default.
      const wanted = asked !== undefined ? asked : options.resetInterfaces ? null : node[field];
      const resolved = resolveInterface(type, field, wanted);
      if (resolved !== node[field]) changes[field] = resolved;
      else delete changes[field];
    }
    checkProtected(node, changes);
    checkRetired(node, changes);
    if (changes.resource_class !== undefined && node.instance_uuid !== null && !interfacesMayChange) {
      throw new InvalidState(`Node ${node.uuid} can not have resource_class changed while it has an instance.`);
    }
    if (changes.maintenance === false) {
      changes.maintenance_reason = null;
      changes.fault = null;
    }
    if (changes.conductor_group !== undefined) changes.conductor_group = changes.conductor_group.toLowerCase();
    syncInstanceName(node, changes);
    if (changes.chassis_uuid) changes.chassis_uuid = normalizeUuid(changes.chassis_uuid);
    changes.updated_at = new Date().toISOString();
    return changes;
  }
}

/**
 * Nova (and older clients) name the instance in instance_info's display_name:
 * a node whose instance has no name yet takes that one, unless the same
 * change names it, as Ironic does for forward compatibility.
 */
function syncInstanceName(node: Node, changes: NodeChanges): void {
  if (changes.instance_info === undefined) return;
  const named = changes.instance_name !== undefined ? changes.instance_name : node.instance_name;
  const display = changes.instance_info.display_name;
  if (named || typeof display !== 'string' || display === '' || display.length > MAX_INSTANCE_NAME) return;
  changes.instance_name = display;
}

/** Ironic's length for instance_name (and Nova's for display_name). */
const MAX_INSTANCE_NAME = 255;

/** Ironic's rules for `protected`: set only on a deployed node; clearing it clears the reason; a reason needs it set. */
function checkProtected(node: Node, changes: NodeChanges): void {
  if (changes.protected === false) changes.protected_reason = null;
  if (changes.protected === true && !PROTECTABLE_STATES.includes(node.provision_state)) {
    throw new InvalidState(
      `Node ${node.uuid} can only be made protected in provision states 'active' or 'rescue', the current state is '${node.provision_state}'`,
    );
  }
  if (changes.protected_reason && !(changes.protected ?? node.protected)) {
    throw new InvalidParameterValue('The protected_reason field can only be set when protected is True');
  }
}

/** The same for `retired`, which a node waiting for an instance (available) cannot take. */
function checkRetired(node: Node, changes: NodeChanges): void {
  if (changes.retired === false) changes.retired_reason = null;
  if (changes.retired === true && node.provision_state === 'available') {
    throw new InvalidState(
      `Node ${node.uuid} can not have 'retired' set in provision state 'available', the current state is '${node.provision_state}'`,
    );
  }
  if (changes.retired_reason && !(changes.retired ?? node.retired)) {
    throw new InvalidParameterValue('The retired_reason field can only be set when retired is True');
  }
}

function ifaceName(field: InterfaceField) {
  return field.slice(0, -'_interface'.length) as keyof HardwareType['interfaces'];
}

function resolveInterface(type: HardwareType, field: InterfaceField, asked: string | undefined | null): string {
  const supported = type.interfaces[ifaceName(field)];
  if (asked === undefined || asked === null) return supported[0]!;
  if (!supported.includes(asked)) {
    throw new InvalidParameterValue(
      `Could not find the ${field.replace('_', ' ')} "${asked}" for hardware type ${type.name}. ` +
        `Valid values are: ${supported.join(', ')}.`,
    );
  }
  return asked;
}

function checkName(name: string): void {
  if (!isValidNodeName(name)) {
    throw new InvalidParameterValue(
      `Cannot use the name '${name}': a node name may hold only letters, digits and -._~ (at most 255), and must not be a UUID.`,
    );
  }
}

/** What a node ident names: a uuid when it looks like one, else a name; 400 when neither. */
function identified(ident: string): { uuid: string } | { name: string } {
  if (isUuidLike(ident)) return { uuid: normalizeUuid(ident) };
  if (isValidLogicalName(ident)) return { name: ident };
  throw new InvalidParameterValue(`Expected a logical name or UUID but received ${ident}.`);
}
