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

export interface SetPowerOptions {
  /** How long to wait for the BMC to report the new state (Ironic's power_state_change_timeout). Default 60 s. */
  timeoutMs?: number;
}

export interface PowerInterface {
  /** The targets setPowerState accepts; any other is refused with UnsupportedOperation before a BMC call. */
  readonly supportedPowerStates: readonly PowerTarget[];
  getPowerState(): Promise<PowerState>;
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

export interface VirtualMediaInterface {
  /** Attaches an ISO by URL as a CD, replacing whatever was attached. */
  insert(imageUrl: string): Promise<void>;
  /** Detaches the image; false when nothing was attached. */
  eject(): Promise<boolean>;
}

export type BiosValue = string | number | boolean | null;
export type BiosAttributes = Record<string, BiosValue>;

export interface BiosInterface {
  /** The settings the firmware runs with now. */
  getAttributes(): Promise<BiosAttributes>;
  /** Settings staged for the next reboot. */
  getPendingAttributes(): Promise<BiosAttributes>;
  /** Stages settings; they take effect at the next reboot, which the caller decides. */
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

/** The optional parts; a driver without one leaves it undefined. */
export interface OptionalInterfaces {
  inspect: InspectInterface;
  virtualMedia: VirtualMediaInterface;
  bios: BiosInterface;
  firmware: FirmwareInterface;
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
