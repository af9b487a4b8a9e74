import { randomUUID } from 'node:crypto';
import type { NodeLocks } from './locks.js';
import type { NodeHistory } from '../events/index.js';
import { findHardwareType, HARDWARE_TYPES, type HardwareType } from '../drivers/index.js';
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
import { INTERFACE_FIELDS, type InterfaceField, type Node, type NodeChanges } from './model.js';
import type { NodeListQuery, NodeRepository } from './repository.js';
import { DELETE_ALLOWED_STATES, INTERFACE_CHANGE_STATES, UPDATE_ALLOWED_STATES } from './states.js';

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
    | 'owner'
    | 'lessee'
    | 'shard'
    | 'parent_node'
    | 'disable_power_off'
    | 'protected'
    | 'protected_reason'
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
    let node: Node | null;
    if (isUuidLike(ident)) node = await this.repo.findByUuid(normalizeUuid(ident));
    else if (isValidLogicalName(ident)) node = await this.repo.findByName(ident);
    else throw new InvalidParameterValue(`Expected a logical name or UUID but received ${ident}.`);
    if (!node) throw new NodeNotFound(ident);
    return node;
  }

  list(query: NodeListQuery): Promise<Node[]> {
    return this.repo.list(query);
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
      last_error: null,
      reservation: null,
      conductor_group: (input.conductor_group ?? '').toLowerCase(),
      instance_uuid: null,
      allocation_uuid: null,
      resource_class: input.resource_class ?? null,
      ...interfaces,
      automated_clean: input.automated_clean ?? null,
      protected: input.protected ?? false,
      protected_reason: input.protected_reason ?? null,
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
      chassis_uuid: input.chassis_uuid ?? null,
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
  async update(ident: string, compute: (node: Node) => NodeUpdate): Promise<Node> {
    const node = await this.get(ident);
    return this.locks.withLock(node.id, ident, async () => {
      const current = await this.repo.getById(node.id);
      const changes = this.checkUpdate(current, compute(current));
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
  private checkUpdate(node: Node, update: NodeUpdate): NodeChanges {
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

    const interfacesMayChange = INTERFACE_CHANGE_STATES.includes(node.provision_state) || node.maintenance;
    const type = this.hardwareType(changes.driver ?? node.driver);
    for (const field of INTERFACE_FIELDS) {
      const asked = changes[field];
      if (asked === undefined && changes.driver === undefined) continue;
      if (asked !== undefined && !interfacesMayChange) {
        throw new InvalidState(
          `Node ${node.uuid} can not have its ${field} changed while in provision state "${node.provision_state}"; ` +
            `allowed in ${INTERFACE_CHANGE_STATES.join(', ')} or in maintenance.`,
        );
      }
      // A new driver keeps the interfaces it also supports and takes its defaults for the rest.
      const keep =
        asked !== undefined ? asked : type.interfaces[ifaceName(field)].includes(node[field]) ? node[field] : undefined;
      // A removed interface (null) goes back to the driver's default.
      const resolved = resolveInterface(type, field, keep);
      if (resolved !== node[field]) changes[field] = resolved;
      else delete changes[field];
    }
    if (changes.resource_class !== undefined && node.instance_uuid !== null && !interfacesMayChange) {
      throw new InvalidState(`Node ${node.uuid} can not have resource_class changed while it has an instance.`);
    }
    if (changes.maintenance === false) {
      changes.maintenance_reason = null;
      changes.fault = null;
    }
    if (changes.conductor_group !== undefined) changes.conductor_group = changes.conductor_group.toLowerCase();
    changes.updated_at = new Date().toISOString();
    return changes;
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
