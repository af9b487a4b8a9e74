// A host's RAID controllers: the volumes built over their disks and the jobs
// that build them. Like firmware jobs, a build has no timer: it is done once
// the clock says so, so an idle fleet costs nothing.
import type { Clock, DiskProtocol, SimDisk } from './types.js';

/** What every simulated RAID controller is, to the BMC and to the OS. */
export const CONTROLLER_MODEL = 'SimRAID 9460-8i';

/** The controller a disk hangs off when its spec names none. */
export const FIRST_CONTROLLER = '1';

export function controllerOf(disk: SimDisk): string {
  return disk.controller ?? FIRST_CONTROLLER;
}

/** How a disk attaches: as its spec says, else SSDs are NVMe and HDDs SATA. */
export function protocolOf(disk: SimDisk): DiskProtocol {
  return disk.protocol ?? (disk.type === 'SSD' ? 'NVMe' : 'SATA');
}

export const RAID_TYPES = ['RAID0', 'RAID1', 'RAID5', 'RAID6', 'RAID10', 'RAID50', 'RAID60'] as const;
export type RaidType = (typeof RAID_TYPES)[number];

interface RaidGeometry {
  minDrives: number;
  maxDrives: number;
  /** Spanned levels stripe over two or more equal spans: an even drive count. */
  evenDrives: boolean;
  /** How many drives' worth of space hold data, the rest holding mirrors or parity. */
  dataDrives(drives: number): number;
}

/** What a typical hardware RAID controller (a PERC, an LSI MegaRAID) accepts per level. */
const GEOMETRY: Readonly<Record<RaidType, RaidGeometry>> = {
  RAID0: { minDrives: 1, maxDrives: 32, evenDrives: false, dataDrives: (n) => n },
  RAID1: { minDrives: 2, maxDrives: 2, evenDrives: false, dataDrives: () => 1 },
  RAID5: { minDrives: 3, maxDrives: 32, evenDrives: false, dataDrives: (n) => n - 1 },
  RAID6: { minDrives: 4, maxDrives: 32, evenDrives: false, dataDrives: (n) => n - 2 },
  RAID10: { minDrives: 4, maxDrives: 32, evenDrives: true, dataDrives: (n) => n / 2 },
  RAID50: { minDrives: 6, maxDrives: 32, evenDrives: true, dataDrives: (n) => n - 2 },
  RAID60: { minDrives: 8, maxDrives: 32, evenDrives: true, dataDrives: (n) => n - 4 },
};

export interface SimVolume {
  id: string;
  /** The controller that built it; every drive of the volume hangs off it. */
  controller: string;
  name: string;
  raidType: RaidType;
  capacityBytes: number;
  /** Ids of the disks the volume spans. */
  driveIds: string[];
}

export interface VolumeRequest {
  /** The controller asked to build it. */
  controller: string;
  raidType: RaidType;
  /** Absent: all the space the drives have left. */
  capacityBytes?: number;
  driveIds: string[];
  name?: string;
}

export type SimStorageErrorCode = 'UnknownDrive' | 'DriveCount' | 'CapacityExceeded' | 'UnknownVolume';

/** A volume request the controller refuses; the Redfish face turns it into a 400 or 404. */
export class SimStorageError extends Error {
  readonly code: SimStorageErrorCode;

  constructor(code: SimStorageErrorCode, message: string) {
    super(message);
    this.name = 'SimStorageError';
    this.code = code;
  }
}

export type VolumeJobState = 'Running' | 'Completed';

export interface VolumeJobStatus {
  state: VolumeJobState;
  percentComplete: number;
  startedAt: string;
  endedAt: string | null;
  message: string;
}

/** The build of one volume: its drives are taken from the start, the volume shows once it is done. */
export class VolumeJob {
  readonly id: number;
  readonly volume: SimVolume;
  private readonly startedAtMs: number;

  constructor(
    id: number,
    volume: SimVolume,
    private readonly durationMs: number,
    private readonly clock: Clock,
  ) {
    this.id = id;
    this.volume = volume;
    this.startedAtMs = clock();
  }

  get done(): boolean {
    return this.clock() - this.startedAtMs >= this.durationMs;
  }

  status(): VolumeJobStatus {
    const startedAt = new Date(this.startedAtMs).toISOString();
    if (!this.done) {
      const elapsed = this.clock() - this.startedAtMs;
      return {
        state: 'Running',
        percentComplete: Math.min(99, Math.max(0, Math.floor((elapsed / this.durationMs) * 100))),
        startedAt,
        endedAt: null,
        message: `building ${this.volume.raidType} volume ${this.volume.id}`,
      };
    }
    return {
      state: 'Completed',
      percentComplete: 100,
      startedAt,
      endedAt: new Date(this.startedAtMs + this.durationMs).toISOString(),
      message: `${this.volume.raidType} volume ${this.volume.id} created`,
    };
  }
}

/**
 * The RAID controllers over a host's disks, each disk on the one its spec
 * names. A volume is built by one controller over its own drives only, as
 * hardware does. Space is accounted per drive, so a drive can back several
 * volumes while it has room left (what Ironic calls sharing physical disks).
 * Volume ids are unique across the host's controllers.
 */
export class SimStorage {
  private readonly jobList: VolumeJob[] = [];
  private readonly built: SimVolume[] = [];
  /** Jobs whose volume has joined `built`, so a deleted volume does not come back. */
  private readonly applied = new WeakSet<VolumeJob>();
  private nextVolume = 1;

  constructor(
    private readonly disks: readonly SimDisk[],
    private readonly buildMs: number,
    private readonly clock: Clock,
  ) {}

  /** The controllers' ids in disk order; a host without disks still has its first controller. */
  get controllers(): string[] {
    const ids = [...new Set(this.disks.map(controllerOf))];
    return ids.length === 0 ? [FIRST_CONTROLLER] : ids;
  }

  /** The disks hanging off one controller. */
  disksOf(controller: string): SimDisk[] {
    return this.disks.filter((d) => controllerOf(d) === controller);
  }

  /** The volumes whose build has finished. */
  get volumes(): SimVolume[] {
    return this.settled().map(copyVolume);
  }

  get jobs(): VolumeJob[] {
    return [...this.jobList];
  }

  job(id: number): VolumeJob | undefined {
    return this.jobList[id - 1];
  }

  /** Bytes of the disk no volume, built or building, has claimed. */
  freeBytes(diskId: string): number {
    const disk = this.disks.find((d) => d.id === diskId);
    if (!disk) return 0;
    const used = this.claims()
      .filter((v) => v.driveIds.includes(diskId))
      .reduce((sum, v) => sum + perDriveBytes(v), 0);
    return disk.sizeBytes - used;
  }

  /** Checks the request whole, then starts the build; a refused request claims nothing. */
  createVolume(request: VolumeRequest): VolumeJob {
    const geometry = GEOMETRY[request.raidType];
    const ids = request.driveIds;
    if (new Set(ids).size !== ids.length) throw new SimStorageError('DriveCount', 'a drive is named more than once');
    const own = this.disksOf(request.controller);
    for (const id of ids) {
      if (!own.some((d) => d.id === id)) {
        throw new SimStorageError('UnknownDrive', `no drive ${id} on controller ${request.controller}`);
      }
    }
    const count = ids.length;
    if (count < geometry.minDrives || count > geometry.maxDrives || (geometry.evenDrives && count % 2 !== 0)) {
      const range =
        geometry.minDrives === geometry.maxDrives
          ? `${geometry.minDrives}`
          : `${geometry.evenDrives ? 'an even number of ' : ''}${geometry.minDrives} to ${geometry.maxDrives}`;
      throw new SimStorageError('DriveCount', `${request.raidType} needs ${range} drives, not ${count}`);
    }
    const dataDrives = geometry.dataDrives(count);
    const maxBytes = Math.min(...ids.map((id) => this.freeBytes(id))) * dataDrives;
    const capacityBytes = request.capacityBytes ?? maxBytes;
    if (capacityBytes <= 0 || capacityBytes > maxBytes) {
      throw new SimStorageError(
        'CapacityExceeded',
        `${request.raidType} over ${ids.join(', ')} holds at most ${maxBytes} bytes, not ${capacityBytes}`,
      );
    }
    const id = `Volume${this.nextVolume++}`;
    const volume: SimVolume = {
      id,
      controller: request.controller,
      name: request.name ?? id,
      raidType: request.raidType,
      capacityBytes,
      driveIds: [...ids],
    };
    const job = new VolumeJob(this.jobList.length + 1, volume, this.buildMs, this.clock);
    this.jobList.push(job);
    return job;
  }

  /** Deletes a built volume; with `controller`, only if that controller built it. */
  deleteVolume(id: string, controller?: string): void {
    const index = this.settled().findIndex(
      (v) => v.id === id && (controller === undefined || v.controller === controller),
    );
    if (index < 0) throw new SimStorageError('UnknownVolume', `no volume ${id}`);
    this.built.splice(index, 1);
  }

  /** Moves finished builds into the built volumes, once each. */
  private settled(): SimVolume[] {
    for (const job of this.jobList) {
      if (job.done && !this.applied.has(job)) {
        this.applied.add(job);
        this.built.push(job.volume);
      }
    }
    return this.built;
  }

  /** Everything holding drive space: built volumes and those still building. */
  private claims(): SimVolume[] {
    const building = this.jobList.filter((j) => !j.done).map((j) => j.volume);
    return [...this.settled(), ...building];
  }
}

function perDriveBytes(volume: SimVolume): number {
  return Math.ceil(volume.capacityBytes / GEOMETRY[volume.raidType].dataDrives(volume.driveIds.length));
}

function copyVolume(volume: SimVolume): SimVolume {
  return { ...volume, driveIds: [...volume.driveIds] };
}
