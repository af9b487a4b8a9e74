import { Router } from 'express';
import type { SimHost } from '../../host/index.js';
import {
  bodyObject,
  collection,
  link,
  managerUri,
  ROOT,
  sendResource,
  systemUri,
  type SimContext,
} from '../context.js';
import { RedfishFault } from '../errors.js';
import { taskBody, taskMonitorUri } from './task-service.js';

// A real BMC's UpdateService serves one machine. This one serves a fleet, so
// FirmwareInventory ids are `<host>.<component>` and SimpleUpdate must be
// told which host through Targets, unless the fleet has a single host.

const SERVICE = `${ROOT}/UpdateService`;
const INVENTORY = `${SERVICE}/FirmwareInventory`;

function inventoryUri(host: SimHost, componentId: string): string {
  return `${INVENTORY}/${encodeURIComponent(host.name)}.${componentId}`;
}

function componentBody(host: SimHost, component: SimHost['firmware'][number]): object {
  return {
    '@odata.type': '#SoftwareInventory.v1_10_0.SoftwareInventory',
    '@odata.id': inventoryUri(host, component.id),
    Id: `${host.name}.${component.id}`,
    Name: component.name,
    SoftwareId: component.id,
    Version: component.version,
    Updateable: component.updateable,
    RelatedItem: [link(component.id === 'BMC' ? managerUri(host) : systemUri(host))],
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

/** Splits `<host>.<component>`; host names may contain dots, component ids do not. */
function splitInventoryId(id: string): { host: string; component: string } | null {
  const dot = id.lastIndexOf('.');
  return dot <= 0 ? null : { host: id.slice(0, dot), component: id.slice(dot + 1) };
}

interface UpdateTarget {
  host: SimHost;
  componentId: string | null;
}

function resolveTarget(ctx: SimContext, uri: string): UpdateTarget {
  const path = uri.startsWith('http') ? new URL(uri).pathname : uri;
  const trimmed = path.replace(/\/+$/, '');
  const inventory = new RegExp(`^${INVENTORY}/([^/]+)$`).exec(trimmed);
  if (inventory?.[1] !== undefined) {
    const parts = splitInventoryId(decodeURIComponent(inventory[1]));
    const host = parts ? ctx.fleet.get(parts.host) : undefined;
    if (parts && host?.firmware.some((f) => f.id === parts.component)) return { host, componentId: parts.component };
  }
  const owner = new RegExp(`^${ROOT}/(?:Systems|Managers)/([^/]+)$`).exec(trimmed);
  if (owner?.[1] !== undefined) {
    const host = ctx.fleet.get(decodeURIComponent(owner[1]));
    if (host) return { host, componentId: null };
  }
  throw new RedfishFault(
    400,
    'ActionParameterValueNotInList',
    `The target ${uri} is not a known system, manager or firmware component.`,
    ['#/Targets'],
  );
}

/** The component an image is for, read from its file name: `bios-1.5.0.bin` is for BIOS. */
function componentFromImage(host: SimHost, imageUri: string): string | null {
  const file = (imageUri.split('/').pop() ?? '').toLowerCase();
  const ids = host.firmware.map((f) => f.id).sort((a, b) => b.length - a.length);
  return ids.find((id) => file.startsWith(id.toLowerCase())) ?? null;
}

function versionFromImage(imageUri: string): string | null {
  const file = imageUri.split('/').pop() ?? '';
  return /(\d+(?:\.\d+)+)/.exec(file)?.[1] ?? null;
}

function parseSimpleUpdate(ctx: SimContext, body: Record<string, unknown>): { target: UpdateTarget; imageUri: string } {
  for (const key of Object.keys(body)) {
    if (!['ImageURI', 'TransferProtocol', 'Targets', 'Username', 'Password'].includes(key)) {
      throw new RedfishFault(400, 'ActionParameterUnknown', `The parameter ${key} is not known to SimpleUpdate.`, [
        `#/${key}`,
      ]);
    }
  }
  const imageUri = body.ImageURI;
  if (typeof imageUri !== 'string' || imageUri.length === 0) {
    throw new RedfishFault(400, 'ActionParameterMissing', 'The action SimpleUpdate requires the parameter ImageURI.', [
      '#/ImageURI',
    ]);
  }
  const protocol = body.TransferProtocol;
  if (protocol !== undefined && protocol !== 'HTTP' && protocol !== 'HTTPS') {
    throw new RedfishFault(400, 'ActionParameterValueNotInList', 'TransferProtocol must be HTTP or HTTPS.', [
      '#/TransferProtocol',
    ]);
  }
  const targets = body.Targets;
  if (targets !== undefined && (!Array.isArray(targets) || !targets.every((t): t is string => typeof t === 'string'))) {
    throw new RedfishFault(400, 'ActionParameterValueFormatError', 'Targets must be an array of URIs.', ['#/Targets']);
  }
  if (targets === undefined || targets.length === 0) {
    const only = ctx.fleet.size === 1 ? ctx.fleet.hosts[0] : undefined;
    if (!only) {
      throw new RedfishFault(400, 'ActionParameterMissing', 'This service manages many systems; name one in Targets.', [
        '#/Targets',
      ]);
    }
    return { target: { host: only, componentId: null }, imageUri };
  }
  const resolved = targets.map((t) => resolveTarget(ctx, t));
  const first = resolved[0] as UpdateTarget;
  if (resolved.some((r) => r.host !== first.host)) {
    throw new RedfishFault(400, 'ActionParameterValueFormatError', 'All Targets must belong to one system.', [
      '#/Targets',
    ]);
  }
  return { target: resolved.find((r) => r.componentId !== null) ?? first, imageUri };
}

export function updateServiceRoutes(ctx: SimContext): Router {
  const router = Router();

  router.get(SERVICE, (_req, res) => {
    sendResource(res, {
      '@odata.type': '#UpdateService.v1_11_0.UpdateService',
      '@odata.id': SERVICE,
      Id: 'UpdateService',
      Name: 'Update Service',
      ServiceEnabled: true,
      FirmwareInventory: link(INVENTORY),
      Actions: {
        '#UpdateService.SimpleUpdate': {
          target: `${SERVICE}/Actions/UpdateService.SimpleUpdate`,
          'TransferProtocol@Redfish.AllowableValues': ['HTTP', 'HTTPS'],
        },
      },
    });
  });

  router.get(INVENTORY, (_req, res) => {
    const members = ctx.fleet.hosts.flatMap((h) => h.firmware.map((f) => inventoryUri(h, f.id)));
    sendResource(res, collection(INVENTORY, 'Firmware Inventory', 'SoftwareInventoryCollection', members));
  });

  router.get(`${INVENTORY}/:item`, (req, res) => {
    const parts = splitInventoryId(req.params.item);
    const host = parts ? ctx.fleet.get(parts.host) : undefined;
    const component = host?.firmware.find((f) => f.id === parts?.component);
    if (!host || !component)
      throw new RedfishFault(404, 'ResourceNotFound', 'The requested firmware component was not found.');
    sendResource(res, componentBody(host, component));
  });

  router.post(`${SERVICE}/Actions/UpdateService.SimpleUpdate`, (req, res) => {
    const { target, imageUri } = parseSimpleUpdate(ctx, bodyObject(req));
    const end = target.host.beginCommand(`POST ${req.path}`);
    try {
      const job = target.host.startFirmwareUpdate({
        imageUri,
        componentId: target.componentId ?? componentFromImage(target.host, imageUri),
        version: versionFromImage(imageUri),
        durationMs: ctx.firmwareUpdateMs,
      });
      const origin = job.plan.componentId === null ? INVENTORY : inventoryUri(target.host, job.plan.componentId);
      ctx.events.watchFirmwareJob(job, origin);
      res.set('Location', taskMonitorUri(target.host, job));
      sendResource(res, taskBody(target.host, job), 202);
    } finally {
      end();
    }
  });

  return router;
}
