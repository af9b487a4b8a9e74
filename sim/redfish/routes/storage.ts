import { Router } from 'express';
import {
  CONTROLLER_MODEL,
  controllerOf,
  protocolOf,
  RAID_TYPES,
  SimStorageError,
  type RaidType,
  type SimDisk,
  type SimHost,
  type SimVolume,
  type VolumeJob,
  type VolumeRequest,
} from '../../host/index.js';
import { bodyObject, collection, hostOr404, link, ROOT, sendResource, systemUri, type SimContext } from '../context.js';
import { RedfishFault } from '../errors.js';

// A System's Storage: one Storage per RAID controller of the host (most
// hosts have one, `1`), each with its Drives and its Volumes, which clients
// create (a task that finishes after the host's build time, as on real
// controllers) and delete. Volume builds are tasks of the TaskService, named
// `<host>.volume<n>`; their task monitor and Task are served here.

const TASKS = `${ROOT}/TaskService/Tasks`;
const MONITORS = `${ROOT}/TaskService/TaskMonitors`;
const VOLUME_TASK = /^(.+)\.volume(\d+)$/;

const VOLUME_TYPE: Readonly<Record<RaidType, string>> = {
  RAID0: 'NonRedundant',
  RAID1: 'Mirrored',
  RAID5: 'StripedWithParity',
  RAID6: 'StripedWithParity',
  RAID10: 'SpannedMirrors',
  RAID50: 'SpannedStripesWithParity',
  RAID60: 'SpannedStripesWithParity',
};

function storageUri(host: SimHost, controller: string): string {
  return `${systemUri(host)}/Storage/${encodeURIComponent(controller)}`;
}

function driveUri(host: SimHost, disk: SimDisk): string {
  return `${storageUri(host, controllerOf(disk))}/Drives/${encodeURIComponent(disk.id)}`;
}

function volumeUri(host: SimHost, volume: SimVolume): string {
  return `${storageUri(host, volume.controller)}/Volumes/${encodeURIComponent(volume.id)}`;
}

function storageBody(host: SimHost, controller: string): object {
  const uri = storageUri(host, controller);
  const disks = host.storage.disksOf(controller);
  return {
    '@odata.type': '#Storage.v1_15_0.Storage',
    '@odata.id': uri,
    Id: controller,
    Name: 'Simulated RAID controller',
    Drives: disks.map((d) => link(driveUri(host, d))),
    'Drives@odata.count': disks.length,
    Volumes: link(`${uri}/Volumes`),
    StorageControllers: [
      {
        '@odata.id': `${uri}#/StorageControllers/0`,
        MemberId: '0',
        Name: CONTROLLER_MODEL,
        Manufacturer: 'Anvil Sim',
        Model: CONTROLLER_MODEL,
        FirmwareVersion: '51.16.0',
        SpeedGbps: 12,
        SupportedRAIDTypes: [...RAID_TYPES],
        SupportedControllerProtocols: ['PCIe'],
        SupportedDeviceProtocols: ['SAS', 'SATA', 'NVMe'],
        Status: { State: 'Enabled', Health: 'OK' },
      },
    ],
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

function driveBody(host: SimHost, disk: SimDisk): object {
  const volumes = host.storage.volumes.filter((v) => v.driveIds.includes(disk.id));
  return {
    '@odata.type': '#Drive.v1_17_0.Drive',
    '@odata.id': driveUri(host, disk),
    Id: disk.id,
    Name: disk.model,
    Model: disk.model,
    SerialNumber: disk.serial,
    CapacityBytes: disk.sizeBytes,
    MediaType: disk.type,
    Protocol: protocolOf(disk),
    // What a 12 Gb/s SAS controller negotiates with each kind of drive.
    CapableSpeedGbs: protocolOf(disk) === 'SATA' ? 6 : 12,
    Links: { Volumes: volumes.map((v) => link(volumeUri(host, v))) },
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

function volumeBody(host: SimHost, volume: SimVolume): object {
  return {
    '@odata.type': '#Volume.v1_9_0.Volume',
    '@odata.id': volumeUri(host, volume),
    Id: volume.id,
    Name: volume.name,
    RAIDType: volume.raidType,
    // Deprecated since Volume 1.9, still what older clients read.
    VolumeType: VOLUME_TYPE[volume.raidType],
    CapacityBytes: volume.capacityBytes,
    Encrypted: false,
    // A volume's drives all hang off the controller that built it.
    Links: {
      Drives: volume.driveIds.map((id) =>
        link(`${storageUri(host, volume.controller)}/Drives/${encodeURIComponent(id)}`),
      ),
    },
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

function volumeTaskId(host: SimHost, job: VolumeJob): string {
  return `${host.name}.volume${job.id}`;
}

function volumeTaskBody(host: SimHost, job: VolumeJob): object {
  const status = job.status();
  const id = volumeTaskId(host, job);
  return {
    '@odata.type': '#Task.v1_7_3.Task',
    '@odata.id': `${TASKS}/${encodeURIComponent(id)}`,
    Id: id,
    Name: `Volume creation on ${host.name}`,
    TaskState: status.state,
    TaskStatus: 'OK',
    PercentComplete: status.percentComplete,
    StartTime: status.startedAt,
    ...(status.endedAt === null ? {} : { EndTime: status.endedAt }),
    TaskMonitor: `${MONITORS}/${encodeURIComponent(id)}`,
    Messages: [
      {
        MessageId: status.state === 'Running' ? 'TaskEvent.1.0.TaskStarted' : 'TaskEvent.1.0.TaskCompletedOK',
        Message: status.message,
        MessageSeverity: 'OK',
      },
    ],
    // Where the new volume is, as the Task's Payload names its answer.
    ...(status.state === 'Completed' ? { Payload: { HttpHeaders: [`Location: ${volumeUri(host, job.volume)}`] } } : {}),
  };
}

function notFound(what: string): RedfishFault {
  return new RedfishFault(404, 'ResourceNotFound', `The requested ${what} was not found.`);
}

/** The host and which of its controllers a Storage URI names. */
interface StorageAt {
  host: SimHost;
  controller: string;
}

function storageOr404(ctx: SimContext, systemId: string | undefined, storageId: string | undefined): StorageAt {
  const host = hostOr404(ctx, systemId, 'system');
  const controller = host.storage.controllers.find((c) => c === storageId);
  if (controller === undefined) throw notFound('storage subsystem');
  return { host, controller };
}

/** The drive ids a volume request names, from Links.Drives or the top-level Drives older clients send. */
function requestedDrives({ host, controller }: StorageAt, body: Record<string, unknown>): string[] {
  const links = body.Links;
  const fromLinks =
    typeof links === 'object' && links !== null && !Array.isArray(links)
      ? (links as Record<string, unknown>).Drives
      : undefined;
  const refs = fromLinks ?? body.Drives;
  const where = fromLinks === undefined ? '#/Drives' : '#/Links/Drives';
  if (!Array.isArray(refs) || refs.length === 0) {
    throw new RedfishFault(400, 'PropertyValueTypeError', 'A volume needs Links.Drives, a list of drive links.', [
      where,
    ]);
  }
  const prefix = `${storageUri(host, controller)}/Drives/`;
  return refs.map((ref, index) => {
    const uri = typeof ref === 'object' && ref !== null ? (ref as Record<string, unknown>)['@odata.id'] : undefined;
    if (typeof uri !== 'string' || !uri.startsWith(prefix)) {
      throw new RedfishFault(
        400,
        'PropertyValueNotInList',
        `${JSON.stringify(uri ?? ref)} is not a drive of this storage subsystem.`,
        [`${where}/${index}`],
      );
    }
    return decodeURIComponent(uri.slice(prefix.length));
  });
}

function parseVolumeRequest(at: StorageAt, body: Record<string, unknown>): VolumeRequest {
  const raidType = body.RAIDType;
  if (typeof raidType !== 'string' || !(RAID_TYPES as readonly string[]).includes(raidType)) {
    throw new RedfishFault(
      400,
      'PropertyValueNotInList',
      `The value ${JSON.stringify(raidType ?? null)} for RAIDType is not one of ${RAID_TYPES.join(', ')}.`,
      ['#/RAIDType'],
    );
  }
  const capacity = body.CapacityBytes;
  if (capacity !== undefined && capacity !== null && (!Number.isSafeInteger(capacity) || (capacity as number) <= 0)) {
    throw new RedfishFault(400, 'PropertyValueTypeError', 'CapacityBytes must be a positive integer.', [
      '#/CapacityBytes',
    ]);
  }
  const name = body.Name;
  if (name !== undefined && typeof name !== 'string') {
    throw new RedfishFault(400, 'PropertyValueTypeError', 'Name must be a string.', ['#/Name']);
  }
  const applyTime = body['@Redfish.OperationApplyTime'];
  if (applyTime !== undefined && applyTime !== 'Immediate') {
    throw new RedfishFault(
      400,
      'PropertyValueNotInList',
      `The value ${JSON.stringify(applyTime)} for @Redfish.OperationApplyTime is not allowed: this controller applies at once.`,
      ['#/@Redfish.OperationApplyTime'],
    );
  }
  return {
    controller: at.controller,
    raidType: raidType as RaidType,
    driveIds: requestedDrives(at, body),
    ...(typeof capacity === 'number' ? { capacityBytes: capacity } : {}),
    ...(typeof name === 'string' ? { name } : {}),
  };
}

/** The controller's refusal as a BMC answers it. */
function storageFault(err: unknown): unknown {
  if (!(err instanceof SimStorageError)) return err;
  if (err.code === 'UnknownVolume') return notFound('volume');
  const property = err.code === 'CapacityExceeded' ? '#/CapacityBytes' : '#/Links/Drives';
  return new RedfishFault(400, 'GeneralError', `The volume cannot be created: ${err.message}.`, [property]);
}

function volumeJobOr404(ctx: SimContext, taskId: string | undefined): { host: SimHost; job: VolumeJob } | null {
  const match = VOLUME_TASK.exec(taskId ?? '');
  if (!match) return null;
  const host = ctx.fleet.get(match[1] ?? '');
  const job = host?.storage.job(Number(match[2]));
  if (!host || !job) throw notFound('task');
  return { host, job };
}

export function storageRoutes(ctx: SimContext): Router {
  const router = Router();
  const system = `${ROOT}/Systems/:id`;
  const storage = `${system}/Storage/:storage`;

  router.get(`${system}/Storage`, (req, res) => {
    const host = hostOr404(ctx, req.params.id, 'system');
    const uri = `${systemUri(host)}/Storage`;
    const members = host.storage.controllers.map((c) => storageUri(host, c));
    sendResource(res, collection(uri, 'Storage Collection', 'StorageCollection', members));
  });
  router.get(storage, (req, res) => {
    const { host, controller } = storageOr404(ctx, req.params.id, req.params.storage);
    sendResource(res, storageBody(host, controller));
  });
  router.get(`${storage}/Drives/:drive`, (req, res) => {
    const { host, controller } = storageOr404(ctx, req.params.id, req.params.storage);
    const disk = host.storage.disksOf(controller).find((d) => d.id === req.params.drive);
    if (!disk) throw notFound('drive');
    sendResource(res, driveBody(host, disk));
  });

  router.get(`${storage}/Volumes`, (req, res) => {
    const { host, controller } = storageOr404(ctx, req.params.id, req.params.storage);
    const uri = `${storageUri(host, controller)}/Volumes`;
    const members = host.storage.volumes.filter((v) => v.controller === controller).map((v) => volumeUri(host, v));
    sendResource(res, {
      ...collection(uri, 'Volume Collection', 'VolumeCollection', members),
      '@Redfish.OperationApplyTimeSupport': {
        '@odata.type': '#Settings.v1_3_5.OperationApplyTimeSupport',
        SupportedValues: ['Immediate'],
      },
      'RAIDType@Redfish.AllowableValues': [...RAID_TYPES],
    });
  });
  router.post(`${storage}/Volumes`, (req, res) => {
    const at = storageOr404(ctx, req.params.id, req.params.storage);
    const { host } = at;
    const request = parseVolumeRequest(at, bodyObject(req));
    let job: VolumeJob;
    try {
      job = host.storage.createVolume(request);
    } catch (err) {
      throw storageFault(err);
    }
    // Location alone, no Task body: sushy follows a body's @odata.id (the
    // Task, which answers 200 at once) before the Location (the monitor,
    // which answers 202 until done), and would take the build as finished.
    // No Retry-After either: sushy 4.3 sleeps for the header's string and fails.
    const monitor = `${MONITORS}/${encodeURIComponent(volumeTaskId(host, job))}`;
    res.status(202).set('Location', monitor).set('OData-Version', '4.0').end();
  });
  router.get(`${storage}/Volumes/:volume`, (req, res) => {
    const { host, controller } = storageOr404(ctx, req.params.id, req.params.storage);
    const volume = host.storage.volumes.find((v) => v.id === req.params.volume && v.controller === controller);
    if (!volume) throw notFound('volume');
    sendResource(res, volumeBody(host, volume));
  });
  router.delete(`${storage}/Volumes/:volume`, (req, res) => {
    const { host, controller } = storageOr404(ctx, req.params.id, req.params.storage);
    try {
      host.storage.deleteVolume(req.params.volume, controller);
    } catch (err) {
      throw storageFault(err);
    }
    res.status(204).end();
  });

  // Volume builds among the TaskService's tasks; any other task id is the firmware tasks' to answer.
  router.get(`${TASKS}/:task`, (req, res, next) => {
    const found = volumeJobOr404(ctx, req.params.task);
    if (!found) return next();
    sendResource(res, volumeTaskBody(found.host, found.job));
  });
  router.get(`${MONITORS}/:task`, (req, res, next) => {
    const found = volumeJobOr404(ctx, req.params.task);
    if (!found) return next();
    const running = found.job.status().state === 'Running';
    if (running) res.set('Location', req.originalUrl);
    sendResource(res, volumeTaskBody(found.host, found.job), running ? 202 : 200);
  });

  return router;
}
