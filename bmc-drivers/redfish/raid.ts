// RAID over Redfish Storage: read the controllers, their drives and
// volumes; check that every controller a plan uses can take its volumes,
// then create a volume per planned logical disk; delete volumes. Each
// function is one step the driver runs as one guarded call; the driver
// follows the tasks between them.
import { z } from 'zod';
import type { BuiltLogicalDisk, RaidLevel, StorageController, StorageDrive, StorageVolume } from '../driver.js';
import { RedfishProtocolError, RedfishUnsupportedError } from './errors.js';
import { RAID_LEVELS, RAID_TYPE_OF, type PlannedVolume } from './raid-plan.js';
import { collectionSchema, driveSchema, odataRef, storageSchema, systemSchema } from './schemas.js';
import type { RedfishSystem } from './system-path.js';

const optionalString = z.string().nullish();

const raidStorageSchema = storageSchema.extend({
  StorageControllers: z.array(z.looseObject({ SupportedRAIDTypes: z.array(z.string()).nullish() })).nullish(),
  Volumes: odataRef.optional(),
});

const raidDriveSchema = driveSchema.extend({ Protocol: optionalString });

const volumeSchema = z.looseObject({
  Id: z.string(),
  Name: optionalString,
  RAIDType: optionalString,
  CapacityBytes: z.number().nullish(),
  Links: z.looseObject({ Drives: z.array(odataRef).optional() }).nullish(),
});

const volumeCollectionSchema = collectionSchema.extend({
  '@Redfish.OperationApplyTimeSupport': z.looseObject({ SupportedValues: z.array(z.string()).optional() }).nullish(),
});

const LEVEL_OF_RAID_TYPE = new Map<string, RaidLevel>(RAID_LEVELS.map((level) => [RAID_TYPE_OF[level], level]));

/** What the driver needs besides the public view: where things are. */
export interface StorageMap {
  controllers: StorageController[];
  /** Drive URI by `<controller>/<drive id>`. */
  drivePaths: Map<string, string>;
  /** Volume collection URI by controller id. */
  volumeCollections: Map<string, string>;
  /** Volume URI by `<controller>/<volume id>`. */
  volumePaths: Map<string, string>;
}

function key(controller: string, id: string): string {
  return `${controller}/${id}`;
}

function mediaType(value: string | null | undefined): StorageDrive['type'] {
  return value === 'SSD' ? 'ssd' : value === 'HDD' ? 'hdd' : null;
}

/** Every Storage of the System with its controllers' RAID levels, drives and volumes. */
export async function readStorage(system: RedfishSystem): Promise<StorageMap> {
  const body = (await system.client.getAs(system.path, systemSchema)).body;
  if (!body.Storage) throw new RedfishUnsupportedError(`${system.path} exposes no Storage: no RAID over Redfish`);
  const map: StorageMap = {
    controllers: [],
    drivePaths: new Map(),
    volumeCollections: new Map(),
    volumePaths: new Map(),
  };
  for (const ref of (await system.client.getAs(body.Storage['@odata.id'], collectionSchema)).body.Members) {
    const storage = (await system.client.getAs(ref['@odata.id'], raidStorageSchema)).body;
    const raidTypes = storage.StorageControllers?.[0]?.SupportedRAIDTypes;
    // Ironic counts a Storage that says nothing of its controller as RAID capable.
    const raidLevels =
      storage.StorageControllers?.length && raidTypes
        ? raidTypes.flatMap((t) => {
            const level = LEVEL_OF_RAID_TYPE.get(t);
            return level === undefined ? [] : [level];
          })
        : [...RAID_LEVELS];
    const drives: StorageDrive[] = [];
    for (const driveRef of storage.Drives ?? []) {
      const drive = (await system.client.getAs(driveRef['@odata.id'], raidDriveSchema)).body;
      map.drivePaths.set(key(storage.Id, drive.Id), driveRef['@odata.id']);
      drives.push({
        id: drive.Id,
        controller: storage.Id,
        sizeBytes: drive.CapacityBytes ?? null,
        type: mediaType(drive.MediaType),
        protocol: drive.Protocol ? drive.Protocol.toLowerCase() : null,
        serial: drive.SerialNumber ?? null,
      });
    }
    const volumes: StorageVolume[] = [];
    if (storage.Volumes) {
      map.volumeCollections.set(storage.Id, storage.Volumes['@odata.id']);
      for (const volumeRef of (await system.client.getAs(storage.Volumes['@odata.id'], collectionSchema)).body
        .Members) {
        const volume = (await system.client.getAs(volumeRef['@odata.id'], volumeSchema)).body;
        map.volumePaths.set(key(storage.Id, volume.Id), volumeRef['@odata.id']);
        const driveIds = (volume.Links?.Drives ?? []).map((d) => d['@odata.id'].split('/').pop() ?? '');
        volumes.push({
          id: volume.Id,
          controller: storage.Id,
          name: volume.Name ?? null,
          raidLevel: volume.RAIDType ? (LEVEL_OF_RAID_TYPE.get(volume.RAIDType) ?? null) : null,
          sizeBytes: volume.CapacityBytes ?? null,
          drives: driveIds.map((id) => decodeURIComponent(id)),
        });
      }
    }
    map.controllers.push({ id: storage.Id, raidLevels, drives, volumes });
  }
  return map;
}

/** What a volume POST or DELETE answered: done at once, or a task monitor to follow. */
export type VolumeChange = { kind: 'done' } | { kind: 'task'; monitor: string };

function changeOf(response: { status: number; body: unknown; location: string | null }, what: string): VolumeChange {
  if (response.status !== 202) return { kind: 'done' };
  const bodyTask =
    typeof response.body === 'object' && response.body !== null
      ? (response.body as Record<string, unknown>)['@odata.id']
      : undefined;
  const monitor = response.location ?? (typeof bodyTask === 'string' ? bodyTask : null);
  if (monitor === null) throw new RedfishProtocolError(`${what} answered 202 without a task monitor`);
  return { kind: 'task', monitor };
}

/**
 * How a volume change is applied, from the collection's
 * OperationApplyTimeSupport: at once when the BMC offers it (sent
 * explicitly, as Ironic does), or unsaid when it names nothing. A BMC that
 * applies volume changes only at the next reset is refused: Anvil does not
 * reboot a node in the middle of a RAID step.
 */
async function applyTimeOf(system: RedfishSystem, collection: string): Promise<'Immediate' | null> {
  const body = (await system.client.getAs(collection, volumeCollectionSchema)).body;
  const supported = body['@Redfish.OperationApplyTimeSupport']?.SupportedValues;
  if (supported === undefined || supported.length === 0) return null;
  if (supported.includes('Immediate')) return 'Immediate';
  throw new RedfishUnsupportedError(
    `${collection} applies volume changes only at ${supported.join(' or ')}; Anvil builds RAID with Immediate apply only`,
  );
}

/** One volume's POST, made ready before any is sent. */
export interface VolumeRequest {
  collection: string;
  payload: Record<string, unknown>;
}

/**
 * The POST of every planned volume, checked whole before the first is sent:
 * each controller has a Volumes collection that applies at once, and each
 * drive is one of its own. A plan that fails here leaves no volume behind.
 */
export async function volumeRequests(
  system: RedfishSystem,
  storage: StorageMap,
  plans: readonly PlannedVolume[],
): Promise<VolumeRequest[]> {
  const applyTimes = new Map<string, 'Immediate' | null>();
  for (const controller of new Set(plans.map((p) => p.controller))) {
    const collection = storage.volumeCollections.get(controller);
    if (collection === undefined) throw new RedfishUnsupportedError(`controller ${controller} has no Volumes`);
    applyTimes.set(controller, await applyTimeOf(system, collection));
  }
  return plans.map((plan) => {
    const drives = plan.physicalDisks.map((id) => {
      const path = storage.drivePaths.get(key(plan.controller, id));
      if (path === undefined) throw new RedfishProtocolError(`drive ${id} is not on controller ${plan.controller}`);
      return { '@odata.id': path };
    });
    const applyTime = applyTimes.get(plan.controller) ?? null;
    return {
      collection: storage.volumeCollections.get(plan.controller)!,
      payload: {
        RAIDType: RAID_TYPE_OF[plan.raidLevel],
        CapacityBytes: plan.sizeBytes,
        Links: { Drives: drives },
        ...(plan.logicalDisk.volume_name === undefined ? {} : { Name: plan.logicalDisk.volume_name }),
        ...(applyTime === null ? {} : { '@Redfish.OperationApplyTime': applyTime }),
      },
    };
  });
}

/** POSTs one volume to its controller's Volumes collection. */
export async function createVolume(system: RedfishSystem, request: VolumeRequest): Promise<VolumeChange> {
  return changeOf(await system.client.post(request.collection, request.payload), `POST ${request.collection}`);
}

/** DELETEs one volume. */
export async function deleteVolume(
  system: RedfishSystem,
  storage: StorageMap,
  volume: StorageVolume,
): Promise<VolumeChange> {
  const path = storage.volumePaths.get(key(volume.controller, volume.id));
  if (path === undefined) throw new RedfishProtocolError(`volume ${volume.id} has no path`);
  return changeOf(await system.client.delete(path), `DELETE ${path}`);
}

/**
 * The planned volumes as the BMC built them: each matched, by controller,
 * RAID level and drives, to a volume that was not there before.
 */
export function builtVolumes(
  plans: readonly PlannedVolume[],
  before: readonly StorageController[],
  after: readonly StorageController[],
): BuiltLogicalDisk[] {
  const existed = new Set(before.flatMap((c) => c.volumes.map((v) => key(c.id, v.id))));
  const fresh = after.flatMap((c) => c.volumes).filter((v) => !existed.has(key(v.controller, v.id)));
  const sameDrives = (a: readonly string[], b: readonly string[]): boolean =>
    a.length === b.length && a.every((d) => b.includes(d));
  return plans.map((plan) => {
    const index = fresh.findIndex(
      (v) =>
        v.controller === plan.controller && v.raidLevel === plan.raidLevel && sameDrives(v.drives, plan.physicalDisks),
    );
    const volume = fresh.splice(index, 1)[0];
    if (index < 0 || volume === undefined) {
      throw new RedfishProtocolError(
        `the BMC reported success but shows no RAID ${plan.raidLevel} volume over ${plan.physicalDisks.join(', ')}`,
      );
    }
    return {
      id: volume.id,
      name: volume.name ?? volume.id,
      raid_level: plan.raidLevel,
      size_gb: Math.floor((volume.sizeBytes ?? plan.sizeBytes) / 1024 ** 3),
      controller: plan.controller,
      physical_disks: [...plan.physicalDisks],
      ...(plan.logicalDisk.is_root_volume === undefined ? {} : { is_root_volume: plan.logicalDisk.is_root_volume }),
    };
  });
}
