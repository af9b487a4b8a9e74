import type { FirmwareComponent } from '../driver.js';
import type { TaskOutcome, TaskWaitOptions } from './client.js';
import { RedfishProtocolError, RedfishUnsupportedError } from './errors.js';
import {
  collectionSchema,
  managerSchema,
  serviceRootSchema,
  softwareInventorySchema,
  systemSchema,
  updateServiceSchema,
} from './schemas.js';
import type { RedfishSystem } from './system-path.js';

export interface FirmwareVersions {
  bios: string | null;
  bmc: string | null;
}

/** A FirmwareInventory entry: the driver's component plus what Redfish relates it to. */
export interface FirmwareInventoryEntry extends FirmwareComponent {
  /** The Systems/Managers the component belongs to, when the BMC says. */
  relatedTo: string[];
}

export interface UpdateFirmwareOptions extends TaskWaitOptions {
  /** URIs of what to update (FirmwareInventory entries, a System); BMC decides when absent. */
  targets?: string[];
}

/**
 * The two versions every BMC reports without walking the inventory: the
 * System's BiosVersion and its Manager's FirmwareVersion (Ironic's redfish
 * firmware interface reads the same two).
 */
export async function getFirmwareVersions(system: RedfishSystem): Promise<FirmwareVersions> {
  const body = (await system.client.getAs(system.path, systemSchema)).body;
  const managerRef = body.Links?.ManagedBy?.[0];
  const bmc = managerRef
    ? ((await system.client.getAs(managerRef['@odata.id'], managerSchema)).body.FirmwareVersion ?? null)
    : null;
  return { bios: body.BiosVersion ?? null, bmc };
}

async function updateServicePath(system: RedfishSystem): Promise<string> {
  const root = (await system.client.getAs('/redfish/v1/', serviceRootSchema)).body;
  if (!root.UpdateService) throw new RedfishUnsupportedError('the BMC has no UpdateService');
  return root.UpdateService['@odata.id'];
}

/** Every entry of the FirmwareInventory, one GET each. */
export async function listFirmwareInventory(system: RedfishSystem): Promise<FirmwareInventoryEntry[]> {
  const service = (await system.client.getAs(await updateServicePath(system), updateServiceSchema)).body;
  if (!service.FirmwareInventory) throw new RedfishUnsupportedError('the UpdateService has no FirmwareInventory');
  const list = (await system.client.getAs(service.FirmwareInventory['@odata.id'], collectionSchema)).body.Members;
  const out: FirmwareInventoryEntry[] = [];
  for (const ref of list) {
    const item = (await system.client.getAs(ref['@odata.id'], softwareInventorySchema)).body;
    out.push({
      id: item.Id,
      name: item.Name ?? null,
      version: item.Version ?? null,
      updateable: item.Updateable ?? null,
      relatedTo: (item.RelatedItem ?? []).map((r) => r['@odata.id']),
    });
  }
  return out;
}

/** What SimpleUpdate answered: done at once, or a task monitor to follow. */
export type FirmwareUpdateStart = { kind: 'done'; body: unknown } | { kind: 'task'; monitor: string };

/**
 * Sends SimpleUpdate from an image URL. A BMC that answers 202 names its
 * task monitor in Location (or the Task in the body, as Dell iDRAC's older
 * firmware does).
 */
export async function startFirmwareUpdate(
  system: RedfishSystem,
  imageUri: string,
  options: { targets?: string[] } = {},
): Promise<FirmwareUpdateStart> {
  const service = (await system.client.getAs(await updateServicePath(system), updateServiceSchema)).body;
  const action = service.Actions?.['#UpdateService.SimpleUpdate'];
  if (!action) throw new RedfishUnsupportedError('the UpdateService offers no SimpleUpdate');
  const payload: Record<string, unknown> = {
    ImageURI: imageUri,
    TransferProtocol: imageUri.startsWith('https:') ? 'HTTPS' : 'HTTP',
    ...(options.targets === undefined ? {} : { Targets: options.targets }),
  };
  const response = await system.client.post(action.target, payload);
  if (response.status !== 202) return { kind: 'done', body: response.body };
  const bodyTask =
    typeof response.body === 'object' && response.body !== null
      ? (response.body as Record<string, unknown>)['@odata.id']
      : undefined;
  const monitor = response.location ?? (typeof bodyTask === 'string' ? bodyTask : null);
  if (monitor === null) throw new RedfishProtocolError('SimpleUpdate answered 202 without a task monitor');
  return { kind: 'task', monitor };
}

/** SimpleUpdate, then follows the task until it ends. */
export async function updateFirmware(
  system: RedfishSystem,
  imageUri: string,
  options: UpdateFirmwareOptions = {},
): Promise<TaskOutcome> {
  const start = await startFirmwareUpdate(
    system,
    imageUri,
    options.targets === undefined ? {} : { targets: options.targets },
  );
  if (start.kind === 'done') return { state: 'Done', messages: [], body: start.body };
  return system.client.waitForTask(start.monitor, options);
}
