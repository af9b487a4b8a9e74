import { createHash } from 'node:crypto';
import { SIM_BIOS_REGISTRY } from './bios-registry.js';
import { SimHost, type SimHostSpec } from './host.js';
import type { BiosAttributes, Clock, CpuSummary, FirmwareComponent, SimDisk, SimNic } from './types.js';

export interface FleetOptions {
  /** How many hosts; 10,000 is fine, nothing runs per host while idle. */
  count: number;
  /** Host names are `${prefix}${index}`; default `sim-`. */
  prefix?: string;
  /** Same seed, same fleet: uuids, MACs, serials, passwords. */
  seed?: number;
  nicsPerHost?: number;
  /** Every host's disks and RAID controllers; by default one or two disks on one controller. */
  storage?: StorageLayout;
  /** Each host's CPU architecture, by index; default x86_64. An aarch64 host network-boots as a UEFI arm64 client. */
  cpuArch?: (index: number) => CpuSummary['arch'];
  clock?: Clock;
}

/** Like disks spread evenly over RAID controllers, in order: 4 over 2 puts Disk0-1 on `1`, Disk2-3 on `2`. */
export interface StorageLayout {
  disks: number;
  controllers: number;
}

/** A two-socket x86 server, or a one-socket Arm server as Ampere Altra boards are. */
const CPUS: Record<CpuSummary['arch'], CpuSummary> = {
  x86_64: {
    count: 2,
    coresPerSocket: 8,
    threadsPerCore: 2,
    model: 'Simulated Xeon 8C @ 2.4GHz',
    arch: 'x86_64',
    maxSpeedMHz: 2400,
  },
  aarch64: {
    count: 1,
    coresPerSocket: 80,
    threadsPerCore: 1,
    model: 'Simulated Neoverse-N1 80C @ 3.0GHz',
    arch: 'aarch64',
    maxSpeedMHz: 3000,
  },
};

/** The QEMU/KVM locally administered OUI, as virtual machines use. */
const MAC_OUI = '52:54:00';
const MAC_SPACE = 0x1000000;

const DEFAULT_BIOS: BiosAttributes = {
  BootMode: 'Uefi',
  ProcTurboMode: 'Enabled',
  ProcVirtualization: 'Enabled',
  SriovGlobalEnable: 'Disabled',
  SecureBoot: 'Disabled',
  NumLock: 'On',
  PxeRetryCount: 3,
  PowerOnDelaySeconds: 0,
  SerialConsoleEnabled: true,
  AssetTag: '',
  ProcCoreCount: 8,
};

/** N simulated machines living in one process, found by name. */
export class Fleet {
  readonly hosts: readonly SimHost[];
  private readonly byName: Map<string, SimHost>;

  constructor(hosts: SimHost[]) {
    this.hosts = hosts;
    this.byName = new Map(hosts.map((h) => [h.name, h]));
    if (this.byName.size !== hosts.length) throw new Error('fleet host names must be unique');
  }

  get size(): number {
    return this.hosts.length;
  }

  get(name: string): SimHost | undefined {
    return this.byName.get(name);
  }
}

export function createFleet(options: FleetOptions): Fleet {
  if (!Number.isInteger(options.count) || options.count < 0)
    throw new RangeError('fleet count must be a non-negative integer');
  const nicsPerHost = options.nicsPerHost ?? 2;
  if (options.count * nicsPerHost > MAC_SPACE) throw new RangeError('fleet too large for unique 52:54:00 MACs');
  const prefix = options.prefix ?? 'sim-';
  const seed = options.seed ?? 0;
  const { storage } = options;
  if (
    storage &&
    !(
      Number.isInteger(storage.disks) &&
      Number.isInteger(storage.controllers) &&
      storage.controllers >= 1 &&
      storage.disks >= storage.controllers
    )
  ) {
    throw new RangeError('storage needs whole numbers of controllers (at least one) and disks (at least one each)');
  }
  const hostOptions = options.clock ? { clock: options.clock } : {};
  const hosts: SimHost[] = [];
  for (let i = 0; i < options.count; i++) {
    hosts.push(
      new SimHost(hostSpec(i, prefix, seed, nicsPerHost, storage, options.cpuArch?.(i) ?? 'x86_64'), hostOptions),
    );
  }
  return new Fleet(hosts);
}

/** The deterministic description of host `index` of a fleet. */
export function hostSpec(
  index: number,
  prefix: string,
  seed: number,
  nicsPerHost: number,
  storage?: StorageLayout,
  cpuArch: CpuSummary['arch'] = 'x86_64',
): SimHostSpec {
  const name = `${prefix}${index}`;
  const digest = createHash('sha256').update(`${seed}/${name}`).digest();
  const byte = (n: number): number => digest[n % digest.length] ?? 0;
  // MACs are sequential from a seed-chosen start, so they stay unique up to
  // the 2^24 addresses of the OUI however the seed falls.
  const macBase = (seedOffset(seed) + index * nicsPerHost) % MAC_SPACE;
  const nics: SimNic[] = [];
  for (let n = 0; n < nicsPerHost; n++) {
    nics.push({
      id: `NIC${n + 1}`,
      mac: formatMac((macBase + n) % MAC_SPACE),
      link: n === 0 ? 'up' : 'down',
      speedMbps: 25_000,
    });
  }
  const diskCount = storage?.disks ?? 1 + (byte(20) % 2);
  const disks: SimDisk[] = [];
  for (let d = 0; d < diskCount; d++) {
    // A laid-out host has like disks, as a RAID controller's bays usually hold.
    const ssd = (byte(21 + (storage ? 0 : d)) & 1) === 0;
    disks.push({
      id: `Disk${d}`,
      model: ssd ? 'SimDisk NVMe 960' : 'SimDisk SATA 4000',
      sizeBytes: ssd ? 960_197_124_096 : 4_000_787_030_016,
      type: ssd ? 'SSD' : 'HDD',
      serial: `SD${hex(digest, 24 + d * 2, 4).toUpperCase()}${d}`,
      ...(storage ? { controller: String(1 + Math.floor((d * storage.controllers) / diskCount)) } : {}),
    });
  }
  const firmware: FirmwareComponent[] = [
    { id: 'BIOS', name: 'System BIOS', version: '1.4.2', updateable: true },
    { id: 'BMC', name: 'BMC firmware', version: '2.10.0', updateable: true },
    { id: 'NIC1', name: 'NIC firmware', version: '22.31.6', updateable: true },
  ];
  return {
    name,
    uuid: uuidFrom(digest),
    vendor: 'Anvil Sim',
    model: 'SimServer 2U',
    serial: `SIM${hex(digest, 16, 4).toUpperCase()}`,
    cpu: { ...CPUS[cpuArch] },
    memoryMiB: (64 + 64 * (byte(30) % 4)) * 1024,
    nics,
    disks,
    bios: { ...DEFAULT_BIOS },
    biosRegistry: SIM_BIOS_REGISTRY,
    firmware,
    credentials: { username: 'admin', password: `pw-${hex(digest, 8, 6)}` },
  };
}

function seedOffset(seed: number): number {
  const digest = createHash('sha256').update(`mac/${seed}`).digest();
  return digest.readUIntBE(0, 3);
}

function formatMac(value: number): string {
  const tail = [16, 8, 0].map((shift) => ((value >> shift) & 0xff).toString(16).padStart(2, '0'));
  return `${MAC_OUI}:${tail.join(':')}`;
}

function hex(bytes: Buffer, start: number, length: number): string {
  return bytes.subarray(start, start + length).toString('hex');
}

/** An RFC 4122 version-4-shaped uuid made from hash bytes instead of randomness. */
function uuidFrom(digest: Buffer): string {
  const b = Buffer.from(digest.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
