// Where each logical disk of a target RAID configuration goes: which drives,
// which controller, how many bytes. Pure, and Ironic's redfish RAID
// interface's reasoning (raid.py, _find_configuration): disks named by the
// operator first, then a search over groups of like drives for the rest,
// then `MAX` volumes over named disks with what space is left. Unlike
// Ironic, whose groups mix controllers (and which then posts a volume with
// drives its controller does not have), a group here is like drives on one
// controller: a controller builds volumes over its own drives only. Anything
// that cannot fit is refused here, before a single volume is created.
import type { LogicalDisk, RaidLevel, StorageController, StorageDrive } from '../driver.js';

/** A target RAID configuration that these drives cannot build, or that is malformed. */
export class InvalidRaidConfiguration extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidRaidConfiguration';
  }
}

interface LevelInfo {
  minDisks: number;
  maxDisks: number;
  /** Drives' worth of space given to mirrors or parity, per span. */
  overhead: number;
}

const SIMPLE: Readonly<Record<'0' | '1' | '5' | '6', LevelInfo>> = {
  '0': { minDisks: 1, maxDisks: 1000, overhead: 0 },
  '1': { minDisks: 2, maxDisks: 2, overhead: 1 },
  '5': { minDisks: 3, maxDisks: 1000, overhead: 1 },
  '6': { minDisks: 4, maxDisks: 1000, overhead: 2 },
};

/** Spanned levels stripe over spans of a simple level. */
const SPAN_OF: Readonly<Record<'1+0' | '5+0' | '6+0', keyof typeof SIMPLE>> = { '1+0': '1', '5+0': '5', '6+0': '6' };

/** Ironic's RAID level as a Redfish RAIDType. */
export const RAID_TYPE_OF: Readonly<Record<RaidLevel, string>> = {
  '0': 'RAID0',
  '1': 'RAID1',
  '5': 'RAID5',
  '6': 'RAID6',
  '1+0': 'RAID10',
  '5+0': 'RAID50',
  '6+0': 'RAID60',
};

export const RAID_LEVELS = Object.keys(RAID_TYPE_OF) as RaidLevel[];

const GIB = 1024 ** 3;
const KIB = 1024;
/** Ironic sizes volumes in whole 64 MiB stripes per drive. */
const STRIPE_KIB = 64 * 1024;

/** One volume to create. */
export interface PlannedVolume {
  /** The logical disk as the operator wrote it. */
  logicalDisk: LogicalDisk;
  raidLevel: RaidLevel;
  controller: string;
  physicalDisks: string[];
  sizeBytes: number;
}

export function isRaidLevel(value: string): value is RaidLevel {
  return (RAID_LEVELS as string[]).includes(value);
}

function levelInfo(level: RaidLevel, spans: number): LevelInfo {
  if (level in SIMPLE) return SIMPLE[level as keyof typeof SIMPLE];
  if (spans <= 1) throw new InvalidRaidConfiguration('Spanned RAID volumes cannot contain a single span');
  const span = SIMPLE[SPAN_OF[level as keyof typeof SPAN_OF]];
  return {
    minDisks: span.minDisks * spans,
    maxDisks: span.maxDisks * spans,
    overhead: span.overhead * spans,
  };
}

function spansOf(level: RaidLevel, disks: number): number {
  if (level === '1+0') return disks >> 1;
  return level === '5+0' || level === '6+0' ? 2 : 1;
}

/** Spanned levels use an even number of drives. */
function usable(level: RaidLevel, disks: number): boolean {
  return level in SIMPLE || disks % 2 === 0;
}

/** Working copy of a logical disk while it is planned. */
interface Pending {
  disk: LogicalDisk;
  level: RaidLevel;
  /** 'MAX' until the drives are known. */
  size: number | 'MAX';
  /** The drives the operator named, all on one controller; null: to be searched for. */
  physicalDisks: StorageDrive[] | null;
}

/** Free bytes by driveKey. */
type FreeSpace = Map<string, number>;

/** A drive's id is its controller's to give: two controllers may both have a drive `0`. */
function driveKey(drive: StorageDrive): string {
  return `${drive.controller}/${drive.id}`;
}

/**
 * Fits a volume onto the given drives (all on one controller), taking their
 * space from `free`; fills in its size when 'MAX'.
 */
function place(volume: Pending, selected: readonly StorageDrive[], free: FreeSpace): PlannedVolume {
  const spans = spansOf(volume.level, selected.length);
  if (spans === 0 || selected.length % spans !== 0) {
    throw new InvalidRaidConfiguration(
      `For RAID level ${volume.level}, the number of physical disks provided (${selected.length}) must be a multiple of the spans count (${spans})`,
    );
  }
  const info = levelInfo(volume.level, spans);
  if (selected.length < info.minDisks || selected.length > info.maxDisks) {
    throw new InvalidRaidConfiguration(
      `RAID level ${volume.level} needs ${info.minDisks === info.maxDisks ? info.minDisks : `${info.minDisks} to ${info.maxDisks}`} physical disks, not ${selected.length}`,
    );
  }
  if (selected.length <= info.overhead) {
    throw new InvalidRaidConfiguration(
      `The number of physical drives (${selected.length}) is too few for the required number of overhead drives (${info.overhead})`,
    );
  }
  const dataDisks = selected.length - info.overhead;
  const smallestKib = Math.floor(Math.min(...selected.map((d) => free.get(driveKey(d)) ?? 0)) / KIB);
  const maxBytes = Math.floor(smallestKib / STRIPE_KIB) * STRIPE_KIB * dataDisks * KIB;
  let size = volume.size;
  if (size === 'MAX') {
    if (maxBytes === 0)
      throw new InvalidRaidConfiguration("size set to 'MAX' but could not allocate physical disk space");
    size = maxBytes;
  } else if (maxBytes < size) {
    throw new InvalidRaidConfiguration(
      `The physical disk space (${maxBytes} bytes) is not enough for the size of the logical disk (${size} bytes)`,
    );
  }
  const stripes = Math.ceil(Math.floor(size / KIB) / STRIPE_KIB);
  const perDisk = Math.ceil(stripes / dataDisks) * STRIPE_KIB * KIB;
  for (const drive of selected) {
    const left = free.get(driveKey(drive)) ?? 0;
    if (left < perDisk) {
      throw new InvalidRaidConfiguration(
        `The free space of a disk (${left} bytes) is not enough for the per-disk size of the logical disk (${perDisk} bytes)`,
      );
    }
    free.set(driveKey(drive), left - perDisk);
  }
  return {
    logicalDisk: volume.disk,
    raidLevel: volume.level,
    controller: selected[0]!.controller,
    physicalDisks: selected.map((d) => d.id),
    sizeBytes: size,
  };
}

interface DriveGroup {
  controller: string;
  /** What the controller builds. */
  raidLevels: readonly RaidLevel[];
  type: StorageDrive['type'];
  protocol: string | null;
  sizeBytes: number | null;
  drives: StorageDrive[];
}

/**
 * Finds drives for each volume in turn, trying each group of like drives and
 * each drive count, and backs off when a later volume finds no room.
 * Returns the plans in queue order and the space left, or null.
 */
/**
 * Tries of the drive search before a target is called impossible: the
 * search backtracks over groups and drive counts for each logical disk and
 * runs on the conductor's event loop, so it must end quickly.
 */
const MAX_PLACEMENT_TRIES = 20_000;

function assign(
  queue: readonly Pending[],
  groups: readonly DriveGroup[],
  free: FreeSpace,
  budget = { tries: MAX_PLACEMENT_TRIES },
): { plans: PlannedVolume[]; free: FreeSpace } | null {
  const [volume, ...rest] = queue;
  if (volume === undefined) return { plans: [], free };
  const { disk, level } = volume;
  for (const group of groups) {
    if (disk.controller !== undefined && disk.controller !== group.controller) continue;
    if (!group.raidLevels.includes(level)) continue;
    if (disk.disk_type !== undefined && disk.disk_type !== group.type) continue;
    if (disk.interface_type !== undefined && disk.interface_type !== group.protocol) continue;
    const freeOf = (d: StorageDrive): number => free.get(driveKey(d)) ?? 0;
    let candidates = group.drives.filter((d) => freeOf(d) > 0);
    candidates.sort((a, b) => freeOf(a) - freeOf(b));
    if (disk.share_physical_disks !== true) {
      candidates = candidates.filter((d) => freeOf(d) === d.sizeBytes);
    }
    const maxSpans = spansOf(level, candidates.length);
    let bounds: { min: number; max: number };
    try {
      bounds = {
        min: levelInfo(level, Math.min(2, maxSpans)).minDisks,
        max: Math.min(levelInfo(level, maxSpans).maxDisks, candidates.length),
      };
    } catch (err) {
      // Too few drives in this group for even two spans.
      if (err instanceof InvalidRaidConfiguration) continue;
      throw err;
    }
    for (let count = bounds.min; count <= bounds.max; count++) {
      if (disk.number_of_physical_disks !== undefined && disk.number_of_physical_disks !== count) continue;
      if (!usable(level, count)) continue;
      if (--budget.tries < 0) {
        throw new InvalidRaidConfiguration(
          `no placement of the logical disks on the drives was found in ${MAX_PLACEMENT_TRIES} tries`,
        );
      }
      const trialFree = new Map(free);
      let plan: PlannedVolume;
      try {
        plan = place(volume, candidates.slice(0, count), trialFree);
      } catch (err) {
        if (err instanceof InvalidRaidConfiguration) continue;
        throw err;
      }
      const others = assign(rest, groups, trialFree, budget);
      if (others) return { plans: [plan, ...others.plans], free: others.free };
    }
  }
  return null;
}

function groupDrives(drives: readonly StorageDrive[], controllers: readonly StorageController[]): DriveGroup[] {
  const groups: DriveGroup[] = [];
  for (const drive of drives) {
    let group = groups.find(
      (g) =>
        g.controller === drive.controller &&
        g.type === drive.type &&
        g.protocol === drive.protocol &&
        g.sizeBytes === drive.sizeBytes,
    );
    if (!group) {
      group = {
        controller: drive.controller,
        raidLevels: controllers.find((c) => c.id === drive.controller)?.raidLevels ?? [],
        type: drive.type,
        protocol: drive.protocol,
        sizeBytes: drive.sizeBytes,
        drives: [],
      };
      groups.push(group);
    }
    group.drives.push(drive);
  }
  return groups;
}

/** Checks what Redfish RAID needs beyond Ironic's schema, and turns sizes into bytes. */
function pendingOf(
  disk: LogicalDisk,
  controllers: readonly StorageController[],
  drives: readonly StorageDrive[],
): Pending {
  if (!isRaidLevel(disk.raid_level)) {
    throw new InvalidRaidConfiguration(
      `RAID level ${disk.raid_level} is not supported by the driver. Supported RAID levels: ${RAID_LEVELS.join(', ')}`,
    );
  }
  if (disk.interface_type === 'scsi')
    throw new InvalidRaidConfiguration('interface type `scsi` not supported by Redfish RAID');
  if (disk.size_gb === 'MAX' && disk.physical_disks === undefined) {
    throw new InvalidRaidConfiguration(
      `'physical_disks' is missing from logical_disk while 'size_gb'='MAX' was requested: ${JSON.stringify(disk)}`,
    );
  }
  const controller = disk.controller;
  if (controller !== undefined && !controllers.some((c) => c.id === controller)) {
    throw new InvalidRaidConfiguration(
      `controller ${controller} is not a RAID controller of this node (${controllers.map((c) => c.id).join(', ') || 'none'})`,
    );
  }
  if (disk.physical_disks !== undefined && new Set(disk.physical_disks).size !== disk.physical_disks.length) {
    throw new InvalidRaidConfiguration('a physical disk is named twice in one logical disk');
  }
  const named = disk.physical_disks?.map((id) => namedDrive(id, controller, drives)) ?? null;
  const on = [...new Set((named ?? []).map((d) => d.controller))];
  if (on.length > 1) {
    throw new InvalidRaidConfiguration(
      `physical disks ${disk.physical_disks!.join(', ')} are on different controllers (${on.join(', ')}); a RAID volume is built by one controller over its own drives`,
    );
  }
  const builder = controllers.find((c) => c.id === (on[0] ?? controller));
  if (builder !== undefined && !builder.raidLevels.includes(disk.raid_level)) {
    throw new InvalidRaidConfiguration(
      `controller ${builder.id} does not build RAID ${disk.raid_level} (it builds ${builder.raidLevels.join(', ')})`,
    );
  }
  return {
    disk,
    level: disk.raid_level,
    size: disk.size_gb === 'MAX' ? 'MAX' : disk.size_gb * GIB,
    physicalDisks: named,
  };
}

/** The drive a logical disk names, on its controller when it gives one. */
function namedDrive(id: string, controller: string | undefined, drives: readonly StorageDrive[]): StorageDrive {
  const found = drives.filter((d) => d.id === id);
  const drive = controller === undefined ? found[0] : found.find((d) => d.controller === controller);
  if (drive === undefined) {
    throw new InvalidRaidConfiguration(
      found.length === 0
        ? `physical disk ${id} is not a drive of this node`
        : `physical disk ${id} is not on controller ${controller}`,
    );
  }
  if (found.length > 1 && controller === undefined) {
    throw new InvalidRaidConfiguration(
      `physical disk ${id} is on several controllers (${found.map((d) => d.controller).join(', ')}): name the controller`,
    );
  }
  return drive;
}

/**
 * Plans every logical disk onto the RAID-capable controllers' drives, in
 * the order given. Throws InvalidRaidConfiguration when they cannot all fit.
 */
export function planRaidConfiguration(
  logicalDisks: readonly LogicalDisk[],
  controllers: readonly StorageController[],
): PlannedVolume[] {
  if (logicalDisks.length === 0)
    throw new InvalidRaidConfiguration('the target RAID configuration has no logical disks');
  const capable = controllers.filter((c) => c.raidLevels.length > 0);
  const drives = capable.flatMap((c) => c.drives);
  const volumes = logicalDisks.map((d) => pendingOf(d, capable, drives));
  // Ironic counts a drive whole, whatever volumes it already holds: the
  // configuration is built after delete_configuration has cleared it.
  const free: FreeSpace = new Map(drives.map((d) => [driveKey(d), d.sizeBytes ?? 0]));

  // Drives named by a 'MAX' volume that shares them are kept back from the
  // search, to leave that volume as much room as can be.
  const reserved = new Set(
    volumes
      .filter((v) => v.physicalDisks !== null && v.size === 'MAX' && v.disk.share_physical_disks === true)
      .flatMap((v) => (v.physicalDisks ?? []).map(driveKey)),
  );
  // Drives named by a volume that does not share them are not searched at all.
  const exclusive = new Set(
    volumes
      .filter((v) => v.physicalDisks !== null && v.disk.share_physical_disks !== true)
      .flatMap((v) => (v.physicalDisks ?? []).map(driveKey)),
  );
  const searchable = drives.filter((d) => !exclusive.has(driveKey(d)));

  const planned = new Map<Pending, PlannedVolume>();
  for (const volume of volumes.filter((v) => v.physicalDisks !== null && v.size !== 'MAX')) {
    planned.set(volume, place(volume, volume.physicalDisks!, free));
  }

  const unnamed = volumes.filter((v) => v.physicalDisks === null);
  if (unnamed.length > 0) {
    const found =
      assign(
        unnamed,
        groupDrives(
          searchable.filter((d) => !reserved.has(driveKey(d))),
          capable,
        ),
        free,
      ) ?? assign(unnamed, groupDrives(searchable, capable), free);
    if (!found) throw new InvalidRaidConfiguration('failed to find matching physical disks for all logical disks');
    unnamed.forEach((v, i) => planned.set(v, found.plans[i]!));
    for (const [id, left] of found.free) free.set(id, left);
  }

  for (const volume of volumes.filter((v) => v.physicalDisks !== null && v.size === 'MAX')) {
    planned.set(volume, place(volume, volume.physicalDisks!, free));
  }
  return volumes.map((v) => planned.get(v)!);
}

/**
 * The logical disks one run of `raid.create_configuration` builds, as
 * Ironic's filter_target_raid_config picks them: the root volume unless
 * `create_root_volume` is false, the others unless `create_nonroot_volumes`
 * is. Refuses a step that would build nothing.
 */
export function selectLogicalDisks(
  logicalDisks: readonly LogicalDisk[],
  options: { createRootVolume?: boolean; createNonrootVolumes?: boolean } = {},
): LogicalDisk[] {
  const root = options.createRootVolume ?? true;
  const nonroot = options.createNonrootVolumes ?? true;
  const chosen = logicalDisks.filter((d) => (d.is_root_volume === true ? root : nonroot));
  if (chosen.length === 0) {
    const skipped = [...(root ? [] : ['skipping root volume']), ...(nonroot ? [] : ['skipping non-root volumes'])];
    throw new InvalidRaidConfiguration(
      skipped.length === 0
        ? 'the node has no target RAID configuration'
        : `the target RAID configuration is empty after ${skipped.join(' and ')}`,
    );
  }
  return chosen;
}

/**
 * The logical disks of a node's target_raid_config, which the API checked
 * against Ironic's RAID schema. Redfish names drives by id, so a
 * physical_disks list of disk descriptions is refused here.
 */
export function targetLogicalDisks(targetRaidConfig: unknown): LogicalDisk[] {
  const disks =
    typeof targetRaidConfig === 'object' && targetRaidConfig !== null
      ? (targetRaidConfig as { logical_disks?: unknown }).logical_disks
      : undefined;
  if (!Array.isArray(disks) || disks.length === 0) {
    throw new InvalidRaidConfiguration('the node has no target RAID configuration');
  }
  return disks.map((disk: unknown) => {
    if (typeof disk !== 'object' || disk === null)
      throw new InvalidRaidConfiguration('a logical disk is not an object');
    const named = (disk as { physical_disks?: unknown }).physical_disks;
    if (named !== undefined && !(Array.isArray(named) && named.every((d) => typeof d === 'string'))) {
      throw new InvalidRaidConfiguration('Redfish RAID names physical_disks by drive id, not by description');
    }
    return disk as LogicalDisk;
  });
}
