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

/** `uefi-http`: the firmware fetches the ISO at the override's httpBootUri and boots it (Redfish UefiHttp). */
export const BOOT_TARGETS = ['none', 'pxe', 'hdd', 'cd', 'bios-setup', 'uefi-http'] as const;
export type BootTarget = (typeof BOOT_TARGETS)[number];

export const BOOT_ENABLED = ['once', 'continuous', 'disabled'] as const;
export type BootEnabled = (typeof BOOT_ENABLED)[number];

export const BOOT_MODES = ['uefi', 'legacy'] as const;
export type BootMode = (typeof BOOT_MODES)[number];

export interface BootOverride {
  target: BootTarget;
  enabled: BootEnabled;
  mode: BootMode;
  /** What a `uefi-http` boot fetches (Redfish Boot.HttpBootUri); absent when none is set. */
  httpBootUri?: string;
}

/** What the machine's BMC says of its hardware, in Redfish's words (Status.Health). */
export const HEALTH_STATES = ['OK', 'Warning', 'Critical'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

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
export type DiskProtocol = 'SATA' | 'SAS' | 'NVMe';

export interface SimDisk {
  id: string;
  model: string;
  sizeBytes: number;
  type: DiskType;
  serial: string;
  /** How the drive attaches; when absent SSDs are NVMe and HDDs SATA. */
  protocol?: DiskProtocol;
  /** The RAID controller (Redfish Storage id) the drive hangs off; when absent the first, `1`. */
  controller?: string;
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
  /** The URI a `uefi-http` boot fetches, as the override held it when the machine started. */
  httpBootUri?: string;
}

/** A power transition, as the machine's own hardware sees it; boot machinery listens for these. */
export type PowerEvent = { kind: 'on'; boot: BootRecord } | { kind: 'off' };

export type BootStepKind =
  | 'firmware'
  | 'dhcp'
  | 'tftp'
  | 'script'
  | 'kernel'
  | 'initrd'
  | 'media'
  | 'uefi-http'
  | 'disk'
  | 'agent'
  | 'inspection'
  | 'lookup'
  | 'heartbeat'
  | 'command'
  | 'os';

/** One thing the machine did while booting or running its agent: what, from where, how it went. */
export interface BootStep {
  at: string;
  /** The host's boot count when it happened, so the steps of one boot read together. */
  boot: number;
  kind: BootStepKind;
  /** What was fetched or contacted: a tftp:// or http:// URL, dhcp://<server> (dhcp://<mac> when none answered), a file on the disk. */
  source: string;
  outcome: 'ok' | 'failed';
  detail: string;
}

/** An address the booted OS configured from its config drive's network_data.json. */
export interface OsAddress {
  /** The link's MAC, when network_data names one. */
  mac: string | null;
  address: string;
  /** Prefix length, from the netmask or the CIDR. */
  prefix: number | null;
  family: 'ipv4' | 'ipv6';
  gateway: string | null;
}

/** What the installed OS found on its config drive when it booted from disk. */
export interface OsView {
  bootedAt: string;
  /** false once the machine powered off; the view stays for a look afterwards. */
  running: boolean;
  hostname: string | null;
  uuid: string | null;
  addresses: OsAddress[];
  dnsServers: string[];
  publicKeys: string[];
  /** The user data as text, when the config drive carries some. */
  userData: string | null;
  /** Set when the OS is a ramdisk booted from the network (a ramdisk deploy), not the disk: its kernel's URL. */
  ramdiskKernel?: string;
}

/**
 * The rescue environment the ramdisk agent left running (IPA's
 * finalize_rescue): the rescue user's password as the conductor sent it.
 */
export interface RescueView {
  enteredAt: string;
  /** The boot (bootCount) the rescue ramdisk runs in. */
  boot: number;
  /** A crypt(3) hash when `hashed`; otherwise the password as sent, which IPA would hash itself. */
  password: string;
  hashed: boolean;
  /** false once the machine powered off or reset; the view stays for a look afterwards. */
  running: boolean;
}

/** What the agent last wrote to the machine's first disk. */
export interface DiskContents {
  /** The sparse file standing for the disk. */
  path: string;
  imageUrl: string;
  bytes: number;
  sha256: string;
  writtenAt: string;
  /** Where the config drive ISO is kept, when the deploy brought one. */
  configDrivePath: string | null;
  /** The block device the agent wrote to, by its kernel name (`/dev/sda`), as root device hints chose it. */
  device: string;
  /**
   * The firmware mode the installed bootloader starts in (an EFI system
   * partition for `uefi`, a boot sector for `legacy`): the machine boots the
   * disk only in that mode.
   */
  bootMode: BootMode;
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
