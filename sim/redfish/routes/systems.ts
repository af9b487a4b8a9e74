import { Router } from 'express';
import { decideBootFailure } from '../../faults/index.js';
import {
  BOOT_MODES,
  BOOT_TARGETS,
  POWER_ACTIONS,
  type HealthState,
  type PowerAction,
  type SimHost,
} from '../../host/index.js';
import {
  bodyObject,
  chassisUri,
  collection,
  hostOr404,
  link,
  managerUri,
  ROOT,
  sendResource,
  systemUri,
  type SimContext,
} from '../context.js';
import { RedfishFault } from '../errors.js';
import { checkIfMatch, etagOf } from '../etag.js';
import { BOOT_ENABLED_TO_REDFISH, BOOT_MODE_TO_REDFISH, BOOT_TARGET_TO_REDFISH, fromRedfish } from '../vocabulary.js';

const RESET_TYPES: readonly string[] = POWER_ACTIONS;

function bootProgress(host: SimHost): string {
  if (host.power === 'Off') return 'None';
  const boot = host.lastBoot;
  return boot?.outcome === 'failed' ? 'SystemHardwareInitializationComplete' : 'OSRunning';
}

/**
 * The system's Status.Health: the hardware's condition, and Critical while
 * it runs after a failed boot. The sim has one verdict for the machine and
 * its parts, so HealthRollup (the system with everything under it) says the same.
 */
function systemHealth(host: SimHost): HealthState {
  const failed = host.power === 'On' && host.lastBoot?.outcome === 'failed';
  return failed ? 'Critical' : host.health;
}

export function systemBody(host: SimHost): object {
  const uri = systemUri(host);
  const boot = host.boot;
  const bios = host.firmware.find((f) => f.id === 'BIOS');
  const health = systemHealth(host);
  return {
    '@odata.type': '#ComputerSystem.v1_20_0.ComputerSystem',
    '@odata.id': uri,
    Id: host.name,
    Name: host.name,
    SystemType: 'Physical',
    UUID: host.uuid,
    Manufacturer: host.vendor,
    Model: host.model,
    SerialNumber: host.serial,
    PowerState: host.power,
    BiosVersion: bios?.version ?? null,
    Status: { State: 'Enabled', Health: health, HealthRollup: health },
    BootProgress: { LastState: bootProgress(host) },
    Boot: {
      BootSourceOverrideEnabled: BOOT_ENABLED_TO_REDFISH[boot.enabled],
      BootSourceOverrideTarget: BOOT_TARGET_TO_REDFISH[boot.target],
      'BootSourceOverrideTarget@Redfish.AllowableValues': BOOT_TARGETS.map((t) => BOOT_TARGET_TO_REDFISH[t]),
      BootSourceOverrideMode: BOOT_MODE_TO_REDFISH[boot.mode],
      'BootSourceOverrideMode@Redfish.AllowableValues': BOOT_MODES.map((m) => BOOT_MODE_TO_REDFISH[m]),
      HttpBootUri: boot.httpBootUri ?? null,
    },
    ProcessorSummary: {
      Count: host.cpu.count,
      CoreCount: host.cpu.count * host.cpu.coresPerSocket,
      LogicalProcessorCount: host.cpu.count * host.cpu.coresPerSocket * host.cpu.threadsPerCore,
      Model: host.cpu.model,
      Status: { State: 'Enabled', Health: 'OK' },
    },
    MemorySummary: {
      TotalSystemMemoryGiB: host.memoryMiB / 1024,
      Status: { State: 'Enabled', Health: 'OK' },
    },
    Processors: link(`${uri}/Processors`),
    Memory: link(`${uri}/Memory`),
    EthernetInterfaces: link(`${uri}/EthernetInterfaces`),
    Storage: link(`${uri}/Storage`),
    Bios: link(`${uri}/Bios`),
    Links: { ManagedBy: [link(managerUri(host))], Chassis: [link(chassisUri(host))] },
    Actions: {
      '#ComputerSystem.Reset': {
        target: `${uri}/Actions/ComputerSystem.Reset`,
        'ResetType@Redfish.AllowableValues': [...RESET_TYPES],
      },
    },
  };
}

/** Properties a client may read but never PATCH; power changes go through Reset. */
const READ_ONLY = new Set([
  '@odata.id',
  'Id',
  'Name',
  'UUID',
  'PowerState',
  'Manufacturer',
  'Model',
  'SerialNumber',
  'Status',
]);

const BOOT_KEYS = [
  'BootSourceOverrideTarget',
  'BootSourceOverrideEnabled',
  'BootSourceOverrideMode',
  'HttpBootUri',
] as const;

/** Validates a System PATCH whole before touching the host. */
function parseBootPatch(body: Record<string, unknown>): Parameters<SimHost['setBootOverride']>[0] {
  for (const key of Object.keys(body)) {
    if (key === 'Boot') continue;
    throw new RedfishFault(
      400,
      READ_ONLY.has(key) ? 'PropertyNotWritable' : 'PropertyUnknown',
      `The property ${key} cannot be changed through this resource.`,
      [`#/${key}`],
    );
  }
  const boot = body.Boot;
  if (boot === undefined) return {};
  if (typeof boot !== 'object' || boot === null || Array.isArray(boot)) {
    throw new RedfishFault(400, 'PropertyValueTypeError', 'The property Boot must be an object.', ['#/Boot']);
  }
  const fields = boot as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!(BOOT_KEYS as readonly string[]).includes(key)) {
      throw new RedfishFault(400, 'PropertyUnknown', `The property Boot/${key} is not known or not writable.`, [
        `#/Boot/${key}`,
      ]);
    }
  }
  const change: Parameters<SimHost['setBootOverride']>[0] = {};
  const pick = <K extends string>(
    key: Exclude<(typeof BOOT_KEYS)[number], 'HttpBootUri'>,
    table: Record<K, string>,
  ): K | undefined => {
    const value = fields[key];
    if (value === undefined) return undefined;
    const mapped = typeof value === 'string' ? fromRedfish(table, value) : undefined;
    if (mapped === undefined) {
      throw new RedfishFault(
        400,
        'PropertyValueNotInList',
        `The value ${JSON.stringify(value)} for Boot/${key} is not allowed.`,
        [`#/Boot/${key}`],
      );
    }
    return mapped;
  };
  const target = pick('BootSourceOverrideTarget', BOOT_TARGET_TO_REDFISH);
  const enabled = pick('BootSourceOverrideEnabled', BOOT_ENABLED_TO_REDFISH);
  const mode = pick('BootSourceOverrideMode', BOOT_MODE_TO_REDFISH);
  if (target !== undefined) change.target = target;
  if (enabled !== undefined) change.enabled = enabled;
  if (mode !== undefined) change.mode = mode;
  const uri = fields.HttpBootUri;
  if (uri !== undefined) {
    // null clears it; otherwise an http(s) URL the firmware can fetch.
    if (uri !== null && (typeof uri !== 'string' || !/^https?:\/\/[^/]/.test(uri))) {
      throw new RedfishFault(
        400,
        'PropertyValueFormatError',
        `The value ${JSON.stringify(uri)} for Boot/HttpBootUri is not an http(s) URL.`,
        ['#/Boot/HttpBootUri'],
      );
    }
    change.httpBootUri = uri ?? undefined;
  }
  return change;
}

export function systemRoutes(ctx: SimContext): Router {
  const router = Router();
  const base = `${ROOT}/Systems`;

  router.get(base, (_req, res) => {
    sendResource(
      res,
      collection(base, 'Computer System Collection', 'ComputerSystemCollection', ctx.fleet.hosts.map(systemUri)),
    );
  });

  router.get(`${base}/:id`, (req, res) => {
    sendResource(res, systemBody(hostOr404(ctx, req.params.id, 'system')));
  });

  router.patch(`${base}/:id`, (req, res) => {
    const host = hostOr404(ctx, req.params.id, 'system');
    checkIfMatch(req.get('If-Match'), etagOf(systemBody(host)));
    const change = parseBootPatch(bodyObject(req));
    // Setting a target without saying for how long means "once" unless an
    // override is already active, which is how BMCs read a bare target.
    if (
      change.target !== undefined &&
      change.target !== 'none' &&
      change.enabled === undefined &&
      host.boot.enabled === 'disabled'
    ) {
      change.enabled = 'once';
    }
    // UEFI HTTP boot is a UEFI firmware feature: a machine left in legacy mode cannot do it.
    if ((change.target ?? host.boot.target) === 'uefi-http' && (change.mode ?? host.boot.mode) === 'legacy') {
      throw new RedfishFault(
        400,
        'PropertyValueConflict',
        'Boot/BootSourceOverrideTarget UefiHttp requires Boot/BootSourceOverrideMode UEFI.',
        ['#/Boot/BootSourceOverrideTarget'],
      );
    }
    if (Object.keys(change).length > 0) host.setBootOverride(change);
    sendResource(res, systemBody(host));
  });

  router.post(`${base}/:id/Actions/ComputerSystem.Reset`, (req, res) => {
    const host = hostOr404(ctx, req.params.id, 'system');
    const body = bodyObject(req);
    const resetType = body.ResetType;
    if (resetType === undefined) {
      throw new RedfishFault(
        400,
        'ActionParameterMissing',
        'The action ComputerSystem.Reset requires the parameter ResetType.',
        ['#/ResetType'],
      );
    }
    if (typeof resetType !== 'string' || !RESET_TYPES.includes(resetType)) {
      throw new RedfishFault(
        400,
        'ActionParameterValueNotInList',
        `The value ${JSON.stringify(resetType)} for ResetType is not allowed.`,
        ['#/ResetType'],
      );
    }
    host.powerAction(resetType as PowerAction, {
      bootFails: decideBootFailure(ctx.faults.forHost(host.name), ctx.random),
    });
    res.status(204).end();
  });

  return router;
}
