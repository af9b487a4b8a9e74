// The words a simulated machine is described in. Protocol faces (Redfish,
// IPMI) translate their own vocabulary into these.

export type PowerState = 'On' | 'Off';

/** Power actions a machine accepts; the names are Redfish's ResetType values. */
export const POWER_ACTIONS = [
  'On',
  'ForceOn',
  'ForceOff',
  'GracefulShutdown',
  'GracefulRestart',
  'ForceRestart',
  'Nmi',
  'PushPowerButton',
  'PowerCycle',
] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

export const BOOT_TARGETS = ['none', 'pxe', 'hdd', 'cd', 'bios-setup'] as const;
export type BootTarget = (typeof BOOT_TARGETS)[number];

export const BOOT_ENABLED = ['once', 'continuous', 'disabled'] as const;
export type BootEnabled = (typeof BOOT_ENABLED)[number];

export const BOOT_MODES = ['uefi', 'legacy'] as const;
export type BootMode = (typeof BOOT_MODES)[number];

export interface BootOverride {
  target: BootTarget;
  enabled: BootEnabled;
  mode: BootMode;
}

export interface VirtualMediaSlot {
  image: string | null;
  inserted: boolean;
  writeProtected: boolean;
}

export type BiosValue = string | number | boolean;
export type BiosAttributes = Record<string, BiosValue>;

export interface FirmwareComponent {
  /** Stable identifier, e.g. `BIOS`, `BMC`, `NIC1`. */
  id: string;
  name: string;
  version: string;
  updateable: boolean;
}

export type LinkState = 'up' | 'down';

export interface SimNic {
  id: string;
  mac: string;
  link: LinkState;
  speedMbps: number;
}

export type DiskType = 'SSD' | 'HDD';

export interface SimDisk {
  id: string;
  model: string;
  sizeBytes: number;
  type: DiskType;
  serial: string;
}

export interface CpuSummary {
  count: number;
  coresPerSocket: number;
  threadsPerCore: number;
  model: string;
  arch: 'x86_64' | 'aarch64';
  maxSpeedMHz: number;
}

/** What happened the last time the machine left power-off or reset. */
export interface BootRecord {
  at: string;
  device: Exclude<BootTarget, 'none'>;
  mode: BootMode;
  outcome: 'booted' | 'failed';
}

export interface CommandRecord {
  at: string;
  command: string;
}

export interface BmcCredentials {
  username: string;
  password: string;
}

/** Milliseconds since the epoch; injectable so tests control time. */
export type Clock = () => number;
