// baremetal-operator's side of its conversation with Ironic, rebuilt from
// its source (metal3-io/baremetal-operator pkg/provisioner/ironic, and the
// gophercloud v2 calls it makes): the requests exactly as they go on the
// wire, and the responses read the way Go reads them. Go's encoding/json
// rejects a whole response when one field has the wrong type, so every
// answer is decoded against the shape of the gophercloud struct it fills.

/** gophercloud v2.13's User-Agent, which BMO does not override. */
const USER_AGENT = 'gophercloud/v2.13.0';

/** clients/features.go `baseline`: the oldest microversion BMO works with. */
const BASELINE_MINOR = 89;

// ---------------------------------------------------------------------------
// Go's decoding of JSON into the gophercloud structs

/**
 * What a Go struct field accepts: a string field takes a string or null, an
 * int an integral number, a time.Time an RFC 3339 string; `map` is a
 * map[string]any, `any` takes anything; an object is a nested struct.
 */
export type GoType =
  'string' | 'int' | 'bool' | 'time' | 'map' | 'any' | 'string[]' | GoStruct | [GoType] | { mapOf: GoType };
export interface GoStruct {
  [field: string]: GoType;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The error json.Unmarshal would return for `value` decoded into `type`, or null; unknown fields are ignored, as in Go. */
export function goDecodeError(value: unknown, type: GoType, where = '$'): string | null {
  if (value === null || type === 'any') return null;
  const wrong = (want: string) => `${where}: cannot unmarshal ${JSON.stringify(value)} into Go value of type ${want}`;
  if (type === 'string') return typeof value === 'string' ? null : wrong('string');
  if (type === 'bool') return typeof value === 'boolean' ? null : wrong('bool');
  if (type === 'int') return Number.isInteger(value) ? null : wrong('int');
  if (type === 'time') return typeof value === 'string' && RFC3339.test(value) ? null : wrong('time.Time (RFC 3339)');
  if (type === 'map') return typeof value === 'object' && !Array.isArray(value) ? null : wrong('map[string]any');
  if (type === 'string[]') return goDecodeError(value, ['string'], where);
  if (Array.isArray(type)) {
    if (!Array.isArray(value)) return wrong('slice');
    for (const [i, item] of value.entries()) {
      const err = goDecodeError(item, type[0], `${where}[${i}]`);
      if (err !== null) return err;
    }
    return null;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return wrong('struct or map');
  const record = value as Record<string, unknown>;
  if ('mapOf' in type && Object.keys(type).length === 1) {
    for (const [key, item] of Object.entries(record)) {
      const err = goDecodeError(item, (type as { mapOf: GoType }).mapOf, `${where}.${key}`);
      if (err !== null) return err;
    }
    return null;
  }
  for (const [field, fieldType] of Object.entries(type as GoStruct)) {
    if (!(field in record)) continue;
    const err = goDecodeError(record[field], fieldType, `${where}.${field}`);
    if (err !== null) return err;
  }
  return null;
}

const LINK: GoStruct = { href: 'string', rel: 'string' };

/** gophercloud baremetal/v1/nodes.Node. */
export const NODE: GoStruct = {
  uuid: 'string',
  name: 'string',
  power_state: 'string',
  target_power_state: 'string',
  provision_state: 'string',
  target_provision_state: 'string',
  maintenance: 'bool',
  maintenance_reason: 'string',
  fault: 'string',
  health: 'string',
  last_error: 'string',
  reservation: 'string',
  driver: 'string',
  driver_info: 'map',
  driver_internal_info: 'map',
  properties: 'map',
  instance_info: 'map',
  instance_uuid: 'string',
  chassis_uuid: 'string',
  extra: 'map',
  console_enabled: 'bool',
  raid_config: 'map',
  target_raid_config: 'map',
  clean_step: 'map',
  deploy_step: 'map',
  links: [LINK],
  ports: [LINK],
  portgroups: [LINK],
  states: [LINK],
  resource_class: 'string',
  bios_interface: 'string',
  boot_interface: 'string',
  console_interface: 'string',
  deploy_interface: 'string',
  inspect_interface: 'string',
  management_interface: 'string',
  network_interface: 'string',
  power_interface: 'string',
  raid_interface: 'string',
  rescue_interface: 'string',
  storage_interface: 'string',
  traits: 'string[]',
  vendor_interface: 'string',
  volume: [LINK],
  conductor_group: 'string',
  parent_node: 'string',
  protected: 'bool',
  protected_reason: 'string',
  owner: 'string',
  lessee: 'string',
  shard: 'string',
  description: 'string',
  conductor: 'string',
  allocation_uuid: 'string',
  retired: 'bool',
  retired_reason: 'string',
  network_data: 'map',
  automated_clean: 'bool',
  service_step: 'map',
  firmware_interface: 'string',
  provision_updated_at: 'time',
  inspection_started_at: 'time',
  inspection_finished_at: 'time',
  created_at: 'time',
  updated_at: 'time',
  disable_power_off: 'bool',
};

/** gophercloud baremetal/v1/ports.Port. */
const PORT: GoStruct = {
  uuid: 'string',
  address: 'string',
  node_uuid: 'string',
  portgroup_uuid: 'string',
  local_link_connection: 'map',
  pxe_enabled: 'bool',
  physical_network: 'string',
  internal_info: 'map',
  extra: 'map',
  is_smartnic: 'bool',
  created_at: 'time',
  updated_at: 'time',
  links: [LINK],
};

/** gophercloud nodes.BIOSSetting. */
const BIOS_SETTING: GoStruct = {
  name: 'string',
  value: 'string',
  attribute_type: 'string',
  allowable_values: 'string[]',
  lower_bound: 'int',
  upper_bound: 'int',
  min_length: 'int',
  max_length: 'int',
  read_only: 'bool',
  reset_required: 'bool',
  unique: 'bool',
};

/** gophercloud nodes.FirmwareComponent. */
const FIRMWARE_COMPONENT: GoStruct = {
  created_at: 'time',
  updated_at: 'time',
  component: 'string',
  initial_version: 'string',
  current_version: 'string',
  last_version_flashed: 'string',
  vendor: 'string',
  model: 'string',
  serial_number: 'string',
};

const INTERFACE: GoStruct = {
  biosdevname: 'string',
  client_id: 'string',
  has_carrier: 'bool',
  ipv4_address: 'string',
  ipv6_address: 'string',
  mac_address: 'string',
  name: 'string',
  product: 'string',
  speed_mbps: 'int',
  vendor: 'string',
  pci_address: 'string',
};
const DISK: GoStruct = {
  hctl: 'string',
  model: 'string',
  name: 'string',
  by_path: 'string',
  rotational: 'bool',
  serial: 'string',
  size: 'int',
  vendor: 'string',
  wwn: 'string',
  wwn_vendor_extension: 'string',
  wwn_with_extension: 'string',
};

/** gophercloud nodes.InventoryData: baremetal/inventory.InventoryType and the standard plugin data. */
const INVENTORY_DATA: GoStruct = {
  inventory: {
    bmc_address: 'string',
    boot: { current_boot_mode: 'string', pxe_interface: 'string' },
    cpu: { architecture: 'string', count: 'int', flags: 'string[]', frequency: 'string', model_name: 'string' },
    disks: [DISK],
    interfaces: [INTERFACE],
    memory: { physical_mb: 'int', total: 'int' },
    system_vendor: {
      manufacturer: 'string',
      product_name: 'string',
      serial_number: 'string',
      firmware: { version: 'string', build_date: 'string', vendor: 'string' },
    },
    hostname: 'string',
  },
  plugin_data: {
    all_interfaces: { mapOf: { ...INTERFACE, pxe_enabled: 'bool' } },
    valid_interfaces: { mapOf: { ...INTERFACE, pxe_enabled: 'bool' } },
    boot_interface: 'string',
    error: 'string',
    macs: 'string[]',
    root_disk: DISK,
  },
};

const SUBSCRIPTION: GoStruct = {
  Id: 'string',
  Context: 'string',
  Destination: 'string',
  EventTypes: 'string[]',
  Protocol: 'string',
};

// ---------------------------------------------------------------------------
// The HTTP client: gophercloud's noauth baremetal ServiceClient

/** A call Anvil answered with a status gophercloud does not accept, or a body Go cannot decode. */
export class IronicCallError extends Error {
  constructor(
    readonly request: string,
    readonly status: number,
    readonly body: string,
    reason: string,
  ) {
    super(`${request} → ${status}: ${reason}\n${body.slice(0, 2000)}`);
    this.name = 'IronicCallError';
  }
}

export interface Reply {
  status: number;
  body: any;
}

export type Node = Record<string, any>;

export class BmoClient {
  /** Unset until discover(): gophercloud sends no microversion before BMO has chosen one. */
  microversion: string | null = null;

  constructor(
    /** The Ironic endpoint as BMO is configured with it, `http://host:port/v1/`. */
    readonly endpoint: string,
  ) {}

  /** gophercloud ServiceClient.Request: the microversion headers of setMicroversionHeader, JSON both ways. */
  async call(method: string, path: string, body: unknown, okCodes: number[], shape?: GoType): Promise<Reply> {
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': USER_AGENT };
    if (this.microversion !== null) {
      headers['X-OpenStack-Ironic-API-Version'] = this.microversion;
      headers['OpenStack-API-Version'] = `baremetal ${this.microversion}`;
    }
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const url = new URL(path.replace(/^\//, ''), this.endpoint).toString();
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const request = `${method} ${new URL(url).pathname}${new URL(url).search}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`;
    if (!okCodes.includes(res.status)) {
      throw new IronicCallError(request, res.status, text, `gophercloud expects ${okCodes.join('/')}`);
    }
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (shape !== undefined) throw new IronicCallError(request, res.status, text, 'the body is not JSON');
      }
    }
    if (shape !== undefined) {
      const err = goDecodeError(parsed, shape);
      if (err !== null) throw new IronicCallError(request, res.status, text, err);
    }
    return { status: res.status, body: parsed };
  }

  /**
   * clients/features.go GetAvailableFeatures + ChooseMicroversion, through
   * gophercloud utils.GetSupportedMicroversions: GET the versioned endpoint,
   * read `version.{version,min_version,status}`, demand 1.89 or newer.
   */
  async discover(): Promise<{ maxMinor: number; chosen: string }> {
    const shape = {
      id: 'string',
      version: { id: 'string', status: 'string', version: 'string', max_version: 'string', min_version: 'string' },
    } as const;
    const { body } = await this.call('GET', '', undefined, [200, 300], shape);
    const version = (body as { version?: Record<string, string> }).version;
    if (version === undefined) throw new Error(`no "version" object at the endpoint: ${JSON.stringify(body)}`);
    if (!['CURRENT', 'STABLE', 'SUPPORTED', 'DEPRECATED', ''].includes((version.status ?? '').toUpperCase())) {
      throw new Error(`invalid status: ${JSON.stringify(version.status)}`);
    }
    const max = version.version || version.max_version;
    if (!max || !version.min_version) throw new Error('microversions not supported by endpoint');
    const [major, minor] = max.split('.').map(Number) as [number, number];
    if (major !== 1 || minor < BASELINE_MINOR)
      throw new Error(`ironic API 1.${BASELINE_MINOR} or newer is required, got ${max}`);
    const chosen =
      minor >= 110 ? '1.110' : minor >= 109 ? '1.109' : minor >= 95 ? '1.95' : minor >= 93 ? '1.93' : '1.89';
    this.microversion = chosen;
    return { maxMinor: minor, chosen };
  }

  /** factory.go checkIronicConductor: `drivers.ListDrivers(Detail: false)`; no drivers means Ironic is not ready. */
  async driverCount(): Promise<number> {
    const { body } = await this.call('GET', 'drivers', undefined, [200], {
      drivers: [{ name: 'string', hosts: 'string[]', type: 'string' }],
    });
    return (body.drivers as unknown[]).length;
  }

  /** nodes.Get, as getNode and findExistingHost use it: null on 404. */
  async getNode(ident: string): Promise<Node | null> {
    try {
      return (await this.call('GET', `nodes/${ident}`, undefined, [200], NODE)).body as Node;
    } catch (err) {
      if (err instanceof IronicCallError && err.status === 404) return null;
      throw err;
    }
  }

  /**
   * ironic.go loadBusyHosts: every node, `fields=uuid,name,provision_state,boot_interface`
   * (one comma-joined value), the names of those booting the agent over the network.
   */
  async busyHosts(): Promise<string[]> {
    const q = new URLSearchParams({ fields: 'uuid,name,provision_state,boot_interface' });
    const { body } = await this.call('GET', `nodes?${q.toString()}`, undefined, [200], { nodes: [NODE] });
    const busy = ['cleaning', 'clean wait', 'inspecting', 'inspect wait', 'deploying', 'wait call-back', 'deleting'];
    return (body.nodes as Node[])
      .filter(
        (n) => busy.includes(n.provision_state as string) && !String(n.boot_interface ?? '').includes('virtual-media'),
      )
      .map((n) => n.name as string);
  }

  /** ironic.go getPorts: `ports.List` with `fields=node_uuid,uuid,address` and a node_uuid or address filter. */
  async getPorts(filter: { nodeUUID?: string; address?: string }): Promise<Record<string, any>[]> {
    // gophercloud's BuildQueryString: url.Values.Encode, keys sorted, commas escaped.
    const q = new URLSearchParams();
    if (filter.address !== undefined) q.set('address', filter.address);
    q.set('fields', 'node_uuid,uuid,address');
    if (filter.nodeUUID !== undefined) q.set('node_uuid', filter.nodeUUID);
    const { body } = await this.call('GET', `ports?${q.toString()}`, undefined, [200], { ports: [PORT] });
    return body.ports as Record<string, any>[];
  }

  /**
   * ironic.go findExistingHost: by the UUID BMO stored (none for a new
   * host), by name `namespace~name` and the plain name, then by the boot
   * MAC's port. Null when Ironic has never seen the host.
   */
  async findExistingHost(meta: HostMeta, bootMAC: string, knownUUID: string | null): Promise<Node | null> {
    if (knownUUID !== null) {
      const byId = await this.getNode(knownUUID);
      if (byId !== null) return byId;
    }
    const names = [ironicNodeName(meta)];
    if (!meta.name.includes('~')) names.push(meta.name);
    for (const name of names) {
      const byName = await this.getNode(name);
      if (byName !== null) return byName;
    }
    const ports = await this.getPorts({ address: bootMAC });
    if (ports.length > 0) {
      const owner = await this.getNode(ports[0]!.node_uuid as string);
      if (owner?.name) throw new Error(`MAC address ${bootMAC} conflicts with existing node ${owner.name}`);
      return owner;
    }
    return null;
  }

  /** register.go enrollNode: `nodes.Create` (gophercloud's POST accepts 201 and 202). */
  async enrollNode(body: Record<string, unknown>): Promise<Node> {
    return (await this.call('POST', 'nodes', body, [201, 202], NODE)).body as Node;
  }

  /** ironic.go createNodePort: look the MAC up first, then `ports.Create{node_uuid, address, pxe_enabled}`. */
  async createNodePort(nodeUUID: string, mac: string, pxe: boolean): Promise<void> {
    const existing = await this.getPorts({ address: mac });
    if (existing.some((p) => p.node_uuid !== nodeUUID)) throw new Error(`port ${mac} belongs to another node`);
    if (existing.length > 0) return;
    await this.call('POST', 'ports', { node_uuid: nodeUUID, address: mac, pxe_enabled: pxe }, [201, 202], PORT);
  }

  /** ironic.go tryUpdateNode: `nodes.Update`, a JSON patch of the ops clients.NodeUpdater built. */
  async updateNode(uuid: string, ops: PatchOp[]): Promise<Node> {
    return (await this.call('PATCH', `nodes/${uuid}`, ops, [200], NODE)).body as Node;
  }

  /** ironic.go tryChangeNodeProvisionState: `nodes.ChangeProvisionState`, 202 only. */
  async changeProvisionState(uuid: string, opts: ProvisionStateOpts): Promise<void> {
    await this.call('PUT', `nodes/${uuid}/states/provision`, opts, [202]);
  }

  /** ironic.go changePower: `nodes.ChangePowerState`, 202 only. */
  async changePower(uuid: string, target: 'power on' | 'power off' | 'rebooting'): Promise<void> {
    await this.call('PUT', `nodes/${uuid}/states/power`, { target }, [202]);
  }

  /** ironic.go setMaintenanceFlag: `nodes.SetMaintenance{reason}` / `UnsetMaintenance`, 202 only. */
  async setMaintenance(uuid: string, on: boolean, reason: string): Promise<void> {
    if (on) await this.call('PUT', `nodes/${uuid}/maintenance`, { reason }, [202]);
    else await this.call('DELETE', `nodes/${uuid}/maintenance`, undefined, [202]);
  }

  /** raid.go setTargetRAIDCfg: `nodes.SetRAIDConfig`, 204 only. */
  async setRAIDConfig(uuid: string, logicalDisks: Record<string, unknown>[]): Promise<void> {
    await this.call('PUT', `nodes/${uuid}/states/raid`, { logical_disks: logicalDisks }, [204]);
  }

  /** ironic.go validateNode: `nodes.Validate`; BMO fails the host on a false boot or deploy result. */
  async validateNode(uuid: string): Promise<string> {
    const result = { result: 'bool', reason: 'string' } as const;
    const { body } = await this.call('GET', `nodes/${uuid}/validate`, undefined, [200], {
      boot: result,
      deploy: result,
    });
    const errors = [body.boot, body.deploy]
      .filter((v: { result: boolean }) => !v.result)
      .map((v: { reason: string }) => v.reason);
    return errors.length > 0 ? `host validation error: ${errors.join('; ')}` : '';
  }

  /** inspecthardware.go InspectHardware: `nodes.GetInventory`, then hardwaredetails.GetHardwareDetails. */
  async getHardwareDetails(uuid: string): Promise<HardwareDetails> {
    const { body } = await this.call('GET', `nodes/${uuid}/inventory`, undefined, [200], INVENTORY_DATA);
    return hardwareDetails(body);
  }

  /** ironic.go GetFirmwareSettings(includeSchema): `nodes.ListBIOSSettings(Detail: true)`, `bios?detail=true`. */
  async getFirmwareSettings(
    uuid: string,
  ): Promise<{ settings: Record<string, string>; schema: Record<string, Record<string, unknown>> }> {
    const { body } = await this.call('GET', `nodes/${uuid}/bios?detail=true`, undefined, [200], {
      bios: [BIOS_SETTING],
    });
    const settings: Record<string, string> = {};
    const schema: Record<string, Record<string, unknown>> = {};
    for (const s of body.bios as Record<string, any>[]) {
      settings[s.name] = s.value ?? '';
      schema[s.name] = {
        attributeType: s.attribute_type,
        allowableValues: s.allowable_values,
        lowerBound: s.lower_bound,
        upperBound: s.upper_bound,
        minLength: s.min_length,
        maxLength: s.max_length,
        readOnly: s.read_only,
        unique: s.unique,
      };
    }
    return { settings, schema };
  }

  /** ironic.go GetFirmwareComponents: `nodes.ListFirmware`, keeping `bios`, `bmc` and `nic:*` only. */
  async getFirmwareComponents(uuid: string): Promise<FirmwareComponentStatus[]> {
    const { body } = await this.call('GET', `nodes/${uuid}/firmware`, undefined, [200], {
      firmware: [FIRMWARE_COMPONENT],
    });
    return (body.firmware as Record<string, any>[])
      .filter((c) => c.component === 'bios' || c.component === 'bmc' || String(c.component).startsWith('nic:'))
      .map((c) => ({
        component: c.component,
        initialVersion: c.initial_version ?? '',
        currentVersion: c.current_version ?? '',
        lastVersionFlashed: c.last_version_flashed ?? '',
        updatedAt: c.updated_at ?? null,
      }));
  }

  /** ironic.go AddBMCEventSubscriptionForNode: `nodes.CreateSubscription`, POST `vendor_passthru?method=create_subscription`, 200 only. */
  async createSubscription(
    uuid: string,
    spec: { destination: string; context: string; httpHeaders: Record<string, string>[] },
  ): Promise<string> {
    const body: Record<string, unknown> = { Destination: spec.destination };
    if (spec.httpHeaders.length > 0) body.HttpHeaders = spec.httpHeaders;
    if (spec.context !== '') body.Context = spec.context;
    const reply = await this.call(
      'POST',
      `nodes/${uuid}/vendor_passthru?method=create_subscription`,
      body,
      [200],
      SUBSCRIPTION,
    );
    return reply.body.Id as string;
  }

  /** ironic.go RemoveBMCEventSubscriptionForNode: `nodes.DeleteSubscription`, DELETE with `{"id": ...}`, 200/202/204. */
  async deleteSubscription(uuid: string, id: string): Promise<void> {
    await this.call('DELETE', `nodes/${uuid}/vendor_passthru?method=delete_subscription`, { id }, [200, 202, 204]);
  }

  /** ironic.go realDelete: `nodes.Delete` (gophercloud's DELETE accepts 202 and 204); 404 is "already gone". */
  async deleteNode(uuid: string): Promise<void> {
    await this.call('DELETE', `nodes/${uuid}`, undefined, [202, 204]);
  }
}

// ---------------------------------------------------------------------------
// What BMO builds from a BareMetalHost

export interface HostMeta {
  namespace: string;
  name: string;
  /** The BareMetalHost's Kubernetes UID: the node's instance_uuid and the config drive's uuid. */
  uid: string;
}

export interface PatchOp {
  op: 'add' | 'remove';
  path: string;
  value?: unknown;
}

export interface Step {
  interface: string;
  step: string;
  args?: Record<string, unknown>;
}

export interface ProvisionStateOpts {
  target: string;
  configdrive?: ConfigDrive;
  clean_steps?: Step[];
  service_steps?: Step[];
}

export interface ConfigDrive {
  meta_data?: Record<string, unknown>;
  network_data?: Record<string, unknown>;
  user_data?: string;
}

/** ironic.go ironicNodeName: `namespace~name`. */
export function ironicNodeName(meta: HostMeta): string {
  return `${meta.namespace}~${meta.name}`;
}

/**
 * pkg/hardwareutils/bmc/redfish.go DriverInfo for `redfish+http://h:p/path`:
 * `redfish_address` is scheme and host, `redfish_system_id` the path.
 */
export function redfishDriverInfo(bmcAddress: string, username: string, password: string): Record<string, unknown> {
  const url = new URL(bmcAddress.replace(/^redfish\+/, ''));
  const info: Record<string, unknown> = {
    redfish_username: username,
    redfish_password: password,
    redfish_address: `${url.protocol}//${url.host}`,
  };
  const trimmed = url.pathname.replace(/^\/+|\/+$/g, '');
  if (trimmed !== '' && trimmed !== 'redfish/v1') info.redfish_system_id = url.pathname;
  return info;
}

/**
 * register.go enrollNode's nodes.CreateOpts for a Redfish BMC (redfish.go's
 * interface choices: ipxe boot, redfish firmware and RAID, the others left to
 * Ironic's defaults), an empty field dropped by `omitempty`.
 */
export function enrollNodeBody(
  meta: HostMeta,
  driverInfo: Record<string, unknown>,
  opts: {
    inspectionMode: 'agent' | 'fast';
    bootMode: 'UEFI' | 'legacy';
    cpuArch: string;
    /** The BMC type's BootInterface(): `ipxe`, or `redfish-virtual-media` for `redfish-virtualmedia://`. */
    bootInterface?: string;
  },
): Record<string, unknown> {
  return {
    boot_interface: opts.bootInterface ?? 'ipxe',
    driver_info: driverInfo,
    driver: 'redfish',
    firmware_interface: 'redfish',
    // register.go inspectInterfaceForMode: the BMC's out-of-band interface only for `fast`.
    inspect_interface: opts.inspectionMode === 'fast' ? 'redfish' : 'agent',
    name: ironicNodeName(meta),
    properties: {
      capabilities: opts.bootMode === 'UEFI' ? 'boot_mode:uefi' : 'boot_mode:bios',
      cpu_arch: opts.cpuArch,
    },
    raid_interface: 'redfish',
    disable_power_off: false,
  };
}

/**
 * clients/updateopts.go getUpdateOperation: `add` (it also replaces) when
 * the desired value differs from the node's, `remove` when it is nil and
 * the node has one, nothing otherwise.
 */
export function updateOps(
  section: string,
  current: Record<string, unknown> | null,
  desired: Record<string, unknown>,
): PatchOp[] {
  const ops: PatchOp[] = [];
  for (const [name, value] of Object.entries(desired)) {
    const path = `${section}/${name}`;
    const present = current !== null && name in current;
    if (value !== null && value !== undefined) {
      if (!(present && JSON.stringify(current[name]) === JSON.stringify(value))) ops.push({ op: 'add', path, value });
    } else if (present) {
      ops.push({ op: 'remove', path });
    }
  }
  return ops;
}

/** ironic.go configureNode: the deploy ramdisk in driver_info, automated_clean, and the boot mode capability. */
export function configureNodeOps(
  node: Node,
  deploy: { kernel: string; ramdisk: string },
  automatedClean: boolean,
): PatchOp[] {
  return [
    ...updateOps('/driver_info', node.driver_info, {
      deploy_kernel: deploy.kernel,
      deploy_ramdisk: deploy.ramdisk,
      deploy_iso: null,
      kernel_append_params: null,
    }),
    ...updateOps('', { automated_clean: node.automated_clean }, { automated_clean: automatedClean }),
    ...updateOps('/properties', node.properties, { capabilities: 'boot_mode:uefi' }),
  ];
}

/** inspecthardware.go startInspection: the capabilities and the inspect_interface of the inspection mode. */
export function startInspectionOps(node: Node, inspectionMode: 'agent' | 'fast'): PatchOp[] {
  return [
    ...updateOps('/properties', node.properties, { capabilities: 'boot_mode:uefi' }),
    ...updateOps(
      '',
      { inspect_interface: node.inspect_interface },
      { inspect_interface: inspectionMode === 'fast' ? 'redfish' : 'agent' },
    ),
  ];
}

export interface HardwareRAIDVolume {
  sizeGibibytes?: number;
  level: string;
  name?: string;
  rotational?: boolean;
  numberOfPhysicalDisks?: number;
}

/**
 * raid.go buildTargetHardwareRAIDCfg and setTargetRAIDCfg: a logical disk
 * per volume (`size_gb` always present, null meaning MAX), the first one the
 * root volume when the host has no root device hints.
 */
export function targetRAIDLogicalDisks(
  volumes: HardwareRAIDVolume[],
  hasRootDeviceHints: boolean,
): Record<string, unknown>[] {
  const disks = volumes.map((v) => {
    const disk: Record<string, unknown> = { size_gb: v.sizeGibibytes ?? null, raid_level: v.level };
    if (v.name) disk.volume_name = v.name;
    if (v.rotational !== undefined) disk.disk_type = v.rotational ? 'hdd' : 'ssd';
    if (v.numberOfPhysicalDisks !== undefined) disk.number_of_physical_disks = v.numberOfPhysicalDisks;
    return disk;
  });
  if (!hasRootDeviceHints && disks.length > 0) disks[0]!.is_root_volume = true;
  return disks;
}

/**
 * ironic.go buildManualCleaningSteps: raid.go BuildRAIDCleanSteps for a
 * changed hardware RAID target (delete, then create), the BIOS settings that
 * differ from the host's, then the firmware updates.
 */
export function manualCleaningSteps(spec: {
  raidChanged: boolean;
  actualSettings: Record<string, string>;
  targetSettings: Record<string, string | number>;
  firmwareUpdates: { component: string; url: string }[];
}): Step[] {
  const steps: Step[] = [];
  if (spec.raidChanged) {
    steps.push(
      { interface: 'raid', step: 'delete_configuration' },
      { interface: 'raid', step: 'create_configuration' },
    );
  }
  steps.push(...firmwareSteps(spec));
  return steps;
}

/** servicing.go buildServiceSteps: the BIOS settings that differ, then the firmware updates. */
export function serviceSteps(spec: {
  actualSettings: Record<string, string>;
  targetSettings: Record<string, string | number>;
  firmwareUpdates: { component: string; url: string }[];
}): Step[] {
  return firmwareSteps(spec);
}

/** ironic.go getNewFirmwareSettings + buildFirmwareSettings, and getFirmwareComponentsUpdates. */
function firmwareSteps(spec: {
  actualSettings: Record<string, string>;
  targetSettings: Record<string, string | number>;
  firmwareUpdates: { component: string; url: string }[];
}): Step[] {
  const steps: Step[] = [];
  const settings = Object.entries(spec.targetSettings)
    .filter(([name, value]) => spec.actualSettings[name] !== String(value))
    .map(([name, value]) => ({ name, value }));
  if (settings.length > 0) steps.push({ interface: 'bios', step: 'apply_configuration', args: { settings } });
  if (spec.firmwareUpdates.length > 0) {
    steps.push({
      interface: 'firmware',
      step: 'update',
      args: { settings: spec.firmwareUpdates.map((u) => ({ component: u.component, url: u.url })) },
    });
  }
  return steps;
}

/**
 * ironic.go getInstanceUpdateOpts + setDirectDeployUpdateOptsForNode for a
 * raw image with a sha256 checksum and no root device hints.
 */
export function instanceUpdateOps(
  node: Node,
  meta: HostMeta,
  image: { url: string; checksum: string; checksumType: string; diskFormat: string },
): PatchOp[] {
  return [
    ...updateOps('', { instance_uuid: node.instance_uuid }, { instance_uuid: meta.uid }),
    ...updateOps('/instance_info', node.instance_info, {
      capabilities: {},
      root_device: {},
      boot_iso: null,
      image_source: image.url,
      image_disk_format: image.diskFormat,
      image_pull_secret: null,
      image_checksum: null,
      image_os_hash_algo: image.checksumType,
      image_os_hash_value: image.checksum,
    }),
    ...updateOps('/driver_info', node.driver_info, { force_persistent_boot_device: 'Default' }),
  ];
}

/** ironic.go getConfigDrive: BMO's default meta_data, the user's network_data and user_data. */
export function configDrive(meta: HostMeta, userData: string, networkData: Record<string, unknown>): ConfigDrive {
  return {
    meta_data: {
      uuid: meta.uid,
      'metal3-namespace': meta.namespace,
      'metal3-name': meta.name,
      'local-hostname': meta.name,
      local_hostname: meta.name,
      name: meta.name,
    },
    network_data: networkData,
    user_data: userData,
  };
}

// ---------------------------------------------------------------------------
// hardwaredetails.GetHardwareDetails

export interface HardwareDetails {
  systemVendor: { manufacturer: string; productName: string; serialNumber: string };
  firmware: { bios: { vendor: string; version: string; date: string } };
  ramMebibytes: number;
  nics: { name: string; model: string; mac: string; ip: string; speedGbps: number; pxe: boolean }[];
  storage: {
    name: string;
    rotational: boolean;
    type: 'HDD' | 'SSD' | 'NVME';
    sizeBytes: number;
    model: string;
    serialNumber: string;
  }[];
  cpu: { arch: string; model: string; clockMegahertz: number; count: number; flags: string[] };
  hostname: string;
}

export interface FirmwareComponentStatus {
  component: string;
  initialVersion: string;
  currentVersion: string;
  lastVersionFlashed: string;
  updatedAt: string | null;
}

/** hardwaredetails.go GetHardwareDetails: what BMO writes into a BareMetalHost's status.hardware. */
export function hardwareDetails(data: Record<string, any>): HardwareDetails {
  const inv = (data.inventory ?? {}) as Record<string, any>;
  const allInterfaces = (data.plugin_data?.all_interfaces ?? {}) as Record<string, { pxe_enabled?: boolean }>;
  const vendor = (inv.system_vendor ?? {}) as Record<string, any>;
  const nics: HardwareDetails['nics'] = [];
  for (const intf of (inv.interfaces ?? []) as Record<string, any>[]) {
    const nic = (ip: string) => ({
      name: intf.name ?? '',
      model: `${intf.vendor ?? ''} ${intf.product ?? ''}`.replace(/^ +/, ''),
      mac: intf.mac_address ?? '',
      ip,
      speedGbps: Math.trunc((intf.speed_mbps ?? 0) / 1000),
      pxe: allInterfaces[intf.name]?.pxe_enabled ?? false,
    });
    // One NIC per address family that has an address; one with none if neither has.
    if (intf.ipv4_address || !intf.ipv6_address) nics.push(nic(intf.ipv4_address ?? ''));
    if (intf.ipv6_address) nics.push(nic(intf.ipv6_address));
  }
  const cpu = (inv.cpu ?? {}) as Record<string, any>;
  return {
    systemVendor: {
      manufacturer: vendor.manufacturer ?? '',
      productName: vendor.product_name ?? '',
      serialNumber: vendor.serial_number ?? '',
    },
    firmware: {
      bios: {
        vendor: vendor.firmware?.vendor ?? '',
        version: vendor.firmware?.version ?? '',
        date: vendor.firmware?.build_date ?? '',
      },
    },
    ramMebibytes: inv.memory?.physical_mb ?? 0,
    nics,
    storage: ((inv.disks ?? []) as Record<string, any>[]).map((d) => ({
      name: d.by_path || d.name || '',
      rotational: d.rotational ?? false,
      type: d.rotational ? 'HDD' : String(d.name ?? '').startsWith('/dev/nvme') ? 'NVME' : 'SSD',
      sizeBytes: d.size ?? 0,
      model: d.model ?? '',
      serialNumber: d.serial ?? '',
    })),
    cpu: {
      arch: cpu.architecture ?? '',
      model: cpu.model_name ?? '',
      clockMegahertz: Math.round(parseFloat(cpu.frequency ?? '') || 0),
      count: cpu.count ?? 0,
      flags: [...((cpu.flags ?? []) as string[])].sort(),
    },
    hostname: inv.hostname ?? '',
  };
}
