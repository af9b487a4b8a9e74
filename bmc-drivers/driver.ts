// The BmcDriver contract: what services may ask of a BMC, in Ironic's words,
// split per concern as Ironic's hardware interfaces are. Every method is one
// guarded BMC call (timeout, retries, one at a time per BMC).
import { UnsupportedOperation } from './errors.js';

/** The hardware types Anvil can drive (a node's `driver`). */
export type HardwareType = 'redfish' | 'idrac' | 'ipmi';

export type PowerState = 'power on' | 'power off';
export type PowerTarget = 'power on' | 'power off' | 'rebooting' | 'soft power off' | 'soft rebooting';
export const POWER_TARGETS: readonly PowerTarget[] = [
  'power on',
  'power off',
  'rebooting',
  'soft power off',
  'soft rebooting',
];

export type BootDevice = 'pxe' | 'disk' | 'cdrom' | 'bios';
export const BOOT_DEVICES: readonly BootDevice[] = ['pxe', 'disk', 'cdrom', 'bios'];
/** Ironic's boot modes: `bios` is legacy BIOS boot. */
export type BootMode = 'uefi' | 'bios';

/** The machine's health as its BMC judges it, in Ironic's words (common/health_states.py). */
export type HealthState = 'OK' | 'Warning' | 'Critical';

export interface SetPowerOptions {
  /** How long to wait for the BMC to report the new state (Ironic's power_state_change_timeout). Default 60 s. */
  timeoutMs?: number;
}

export interface PowerInterface {
  /** The targets setPowerState accepts; any other is refused with UnsupportedOperation before a BMC call. */
  readonly supportedPowerStates: readonly PowerTarget[];
  getPowerState(): Promise<PowerState>;
  /**
   * The power state and the BMC's verdict on the machine's hardware
   * (Ironic's get_node_health; null when it gives none Anvil can name) from
   * one reading, as the power sync keeps both. Absent where the protocol
   * has no such verdict (IPMI), so the caller reads the power state alone.
   */
  getPowerAndHealth?(): Promise<{ power: PowerState; health: HealthState | null }>;
  /** Returns once the BMC reports the state the target leads to, or throws BmcTimeout. */
  setPowerState(target: PowerTarget, options?: SetPowerOptions): Promise<void>;
}

export interface BootDeviceInfo {
  /** null when no override is active, or when the BMC's boot target has no name here. */
  device: BootDevice | null;
  /** null when no override is active. */
  persistent: boolean | null;
  mode: BootMode | null;
}

export interface SetBootDeviceOptions {
  /** Every boot from now on rather than only the next one. Default false. */
  persistent?: boolean;
  mode?: BootMode;
}

export interface ManagementInterface {
  readonly supportedBootDevices: readonly BootDevice[];
  getBootDevice(): Promise<BootDeviceInfo>;
  setBootDevice(device: BootDevice, options?: SetBootDeviceOptions): Promise<void>;
  /** A non-maskable interrupt to the running machine (a kernel dump on a hung OS). */
  injectNmi(): Promise<void>;
  /**
   * Next boot (or every boot, `persistent`) by UEFI HTTP boot of `uri`: the
   * firmware fetches that image and boots it. Always in UEFI mode. Absent
   * where the protocol has no such boot (IPMI); refused with
   * UnsupportedOperation, before any change, where the BMC does not offer it.
   */
  setHttpBootUri?(uri: string, options?: { persistent?: boolean }): Promise<void>;
}

export interface InventoryCpu {
  count: number | null;
  cores: number | null;
  threads: number | null;
  model: string | null;
  arch: 'x86_64' | 'aarch64' | null;
  maxSpeedMHz: number | null;
}

export interface InventoryNic {
  id: string;
  /** Lower case, colon separated. */
  mac: string;
  linkUp: boolean | null;
  speedMbps: number | null;
}

export interface InventoryDisk {
  id: string;
  model: string | null;
  sizeBytes: number | null;
  type: 'ssd' | 'hdd' | null;
  serial: string | null;
}

/** What the BMC knows of the machine without booting it. */
export interface HardwareInventory {
  vendor: string | null;
  model: string | null;
  serial: string | null;
  uuid: string | null;
  cpu: InventoryCpu;
  memoryMiB: number | null;
  nics: InventoryNic[];
  disks: InventoryDisk[];
}

export interface InspectInterface {
  inspectHardware(): Promise<HardwareInventory>;
}

/** One virtual media device of a BMC, as it stands. */
export interface VirtualMediaSlot {
  /** The Redfish MediaTypes it takes: `CD`, `DVD`, `Floppy`, `USBStick`... */
  mediaTypes: string[];
  inserted: boolean;
  /** The URL attached, or null. */
  image: string | null;
}

export interface VirtualMediaInterface {
  /** Every virtual media device of the machine, CD or not; none when the BMC offers none. */
  list(): Promise<VirtualMediaSlot[]>;
  /** Attaches an ISO by URL as a CD, replacing whatever was attached. */
  insert(imageUrl: string): Promise<void>;
  /** Detaches the image; false when nothing was attached. */
  eject(): Promise<boolean>;
}

export type BiosValue = string | number | boolean | null;
export type BiosAttributes = Record<string, BiosValue>;

/**
 * What a BMC's attribute registry says of one BIOS setting, in Ironic's
 * terms; null where the registry says nothing.
 */
export interface BiosRegistryEntry {
  /** `Enumeration`, `String`, `Integer`, `Boolean`, `Password`, as the registry names it. */
  attributeType: string | null;
  /** The values an enumeration takes. */
  allowableValues: string[] | null;
  lowerBound: number | null;
  upperBound: number | null;
  minLength: number | null;
  maxLength: number | null;
  readOnly: boolean | null;
  /** A change takes a reboot to apply. */
  resetRequired: boolean | null;
  unique: boolean | null;
}

/** A BIOS attribute registry by attribute name; it may describe more than the BIOS has. */
export type BiosRegistry = Record<string, BiosRegistryEntry>;

export interface BiosInterface {
  /** The settings the firmware runs with now. */
  getAttributes(): Promise<BiosAttributes>;
  /** The BMC's attribute registry for these settings; null when it publishes none. */
  getRegistry(): Promise<BiosRegistry | null>;
  /** Settings staged for the next reboot. */
  getPendingAttributes(): Promise<BiosAttributes>;
  /**
   * Stages settings; they take effect at the next reboot, which the caller
   * decides. With a registry, values are checked and typed against it first.
   */
  applySettings(attributes: BiosAttributes): Promise<void>;
}

export interface FirmwareComponent {
  id: string;
  name: string | null;
  version: string | null;
  updateable: boolean | null;
}

export interface FirmwareUpdateOptions {
  /** What to update (inventory entries, a System); the BMC decides when absent. */
  targets?: string[];
  /** What to update by Ironic's component name (`bios`, `bmc`, `nic:<id>`), found on the BMC; instead of `targets`. */
  component?: string;
  /** Give up waiting for the task after this long. Default 30 minutes. */
  timeoutMs?: number;
  /** Pause between looks at the task. Default 10 s. */
  pollIntervalMs?: number;
}

export interface FirmwareUpdateResult {
  /** The task completed, or the BMC applied the update without one. */
  succeeded: boolean;
  /** The final task state, e.g. `Completed`; `Done` when there was no task. */
  state: string;
  messages: string[];
}

export interface FirmwareInterface {
  getComponents(): Promise<FirmwareComponent[]>;
  /** Starts the update and follows its task; between looks the BMC is free for other calls. */
  update(imageUrl: string, options?: FirmwareUpdateOptions): Promise<FirmwareUpdateResult>;
}

/** Ironic's RAID levels that a BMC builds as volumes. */
export type RaidLevel = '0' | '1' | '5' | '6' | '1+0' | '5+0' | '6+0';

/** A logical disk of a node's target_raid_config, in Ironic's words (its RAID schema has checked it). */
export interface LogicalDisk {
  size_gb: number | 'MAX';
  raid_level: string;
  is_root_volume?: boolean;
  volume_name?: string;
  /** Drive ids (the Redfish Drive Id); needs `controller`. */
  physical_disks?: string[];
  /** The Redfish Storage Id. */
  controller?: string;
  disk_type?: 'hdd' | 'ssd';
  interface_type?: 'sata' | 'scsi' | 'sas';
  number_of_physical_disks?: number;
  share_physical_disks?: boolean;
}

/** A logical disk as built: what Ironic records in a node's raid_config. */
export interface BuiltLogicalDisk {
  /** The volume's id on its controller. */
  id: string;
  name: string;
  raid_level: RaidLevel;
  size_gb: number;
  controller: string;
  physical_disks: string[];
  is_root_volume?: boolean;
}

export interface StorageDrive {
  id: string;
  /** The Storage (controller) the drive hangs off. */
  controller: string;
  sizeBytes: number | null;
  type: 'ssd' | 'hdd' | null;
  /** Lower case, as Ironic names interfaces: `sas`, `sata`, `nvme`. */
  protocol: string | null;
  serial: string | null;
}

export interface StorageVolume {
  id: string;
  controller: string;
  name: string | null;
  /** null for a volume the BMC reports without a RAID type (a pass-through disk). */
  raidLevel: RaidLevel | null;
  sizeBytes: number | null;
  drives: string[];
}

export interface StorageController {
  /** The Redfish Storage Id: what `controller` names in a logical disk. */
  id: string;
  raidLevels: RaidLevel[];
  drives: StorageDrive[];
  volumes: StorageVolume[];
}

export interface RaidOptions {
  /** Ironic's create_root_volume. Default true. */
  createRootVolume?: boolean;
  /** Ironic's create_nonroot_volumes. Default true. */
  createNonrootVolumes?: boolean;
  /** Give up waiting for a volume task after this long. Default 30 minutes. */
  timeoutMs?: number;
  /** Pause between looks at a task. Default 10 s. */
  pollIntervalMs?: number;
}

export interface RaidInterface {
  getStorage(): Promise<StorageController[]>;
  /**
   * Plans every logical disk onto drives (refusing an impossible target
   * before any volume is made), then builds the ones the options select
   * and follows their tasks. Returns them as built.
   */
  createConfiguration(logicalDisks: LogicalDisk[], options?: RaidOptions): Promise<BuiltLogicalDisk[]>;
  /** Deletes every RAID volume; returns how many. */
  deleteConfiguration(options?: Pick<RaidOptions, 'timeoutMs' | 'pollIntervalMs'>): Promise<number>;
}

/** A BMC resource as it answered, for callers that pass it on whole (Ironic's vendor passthru does). */
export type BmcResource = Record<string, unknown>;

export interface EventSubscriptionRequest {
  /** The listener's http(s) URL. */
  destination: string;
  /** Echoed back in every event; "" when absent. */
  context?: string;
  /** Default `Redfish`. */
  protocol?: string;
  /** Sent with every event (e.g. the listener's credentials); the BMC never shows them again. */
  httpHeaders?: Array<Record<string, string>>;
  eventTypes?: string[];
}

export interface EventSubscription {
  id: string;
  /** The subscription as the BMC shows it (a Redfish EventDestination). */
  body: BmcResource;
}

export interface EventsInterface {
  createSubscription(request: EventSubscriptionRequest): Promise<EventSubscription>;
  /** The BMC's subscriptions collection, as it answered. */
  listSubscriptions(): Promise<BmcResource>;
  /** null when the BMC has no subscription by that id. */
  getSubscription(id: string): Promise<BmcResource | null>;
  /** false when the BMC had no subscription by that id. */
  deleteSubscription(id: string): Promise<boolean>;
}

/** The optional parts; a driver without one leaves it undefined. */
export interface OptionalInterfaces {
  inspect: InspectInterface;
  virtualMedia: VirtualMediaInterface;
  bios: BiosInterface;
  firmware: FirmwareInterface;
  raid: RaidInterface;
  events: EventsInterface;
}

export interface BmcDriver extends Partial<OptionalInterfaces> {
  readonly name: HardwareType;
  /** host:port (plus the Redfish system path): the key of the one-call-at-a-time lock. */
  readonly bmc: string;
  readonly power: PowerInterface;
  readonly management: ManagementInterface;
  /** Ends the BMC session and frees sockets; the driver refuses calls afterwards. */
  close(): Promise<void>;
}

/** A part the caller needs, or UnsupportedOperation naming the driver: what the API turns into a 400. */
export function requireInterface<K extends keyof OptionalInterfaces>(
  driver: BmcDriver,
  part: K,
): OptionalInterfaces[K] {
  const found = driver[part];
  if (found === undefined)
    throw new UnsupportedOperation(driver.name, part, `the ${driver.name} hardware type has no ${part} interface`);
  return found as OptionalInterfaces[K];
}

/** The management interface's UEFI HTTP boot, or UnsupportedOperation where the driver has none (IPMI). */
export function requireHttpBoot(driver: BmcDriver): NonNullable<ManagementInterface['setHttpBootUri']> {
  const setHttpBootUri = driver.management.setHttpBootUri?.bind(driver.management);
  if (setHttpBootUri === undefined)
    throw new UnsupportedOperation(
      driver.name,
      'set_http_boot_uri',
      `the ${driver.name} hardware type has no UEFI HTTP boot`,
    );
  return setHttpBootUri;
}

/** Checks a target that may come from untrusted input against what the driver supports. */
export function checkPowerTarget(driver: HardwareType, supported: readonly PowerTarget[], target: string): PowerTarget {
  const known = supported.find((t) => t === target);
  if (known === undefined) {
    throw new UnsupportedOperation(
      driver,
      'set_power_state',
      `${JSON.stringify(target)} is not one of ${supported.join(', ')}`,
    );
  }
  return known;
}

export function checkBootDevice(driver: HardwareType, supported: readonly BootDevice[], device: string): BootDevice {
  const known = supported.find((d) => d === device);
  if (known === undefined) {
    throw new UnsupportedOperation(
      driver,
      'set_boot_device',
      `${JSON.stringify(device)} is not one of ${supported.join(', ')}`,
    );
  }
  return known;
}
