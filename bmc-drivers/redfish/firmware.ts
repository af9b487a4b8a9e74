import type { z } from 'zod';
import type { FirmwareComponent } from '../driver.js';
import type { TaskOutcome, TaskWaitOptions } from './client.js';
import { RedfishProtocolError, RedfishUnsupportedError } from './errors.js';
import {
  chassisSchema,
  collectionSchema,
  managerSchema,
  networkAdapterSchema,
  serviceRootSchema,
  systemSchema,
  updateServiceSchema,
} from './schemas.js';
import type { RedfishSystem } from './system-path.js';

export interface FirmwareVersions {
  bios: string | null;
  bmc: string | null;
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

/**
 * The components Ironic's redfish firmware interface reports, by its names:
 * `bios` (the System's BiosVersion), `bmc` (its Manager's FirmwareVersion)
 * and `nic:<adapter SerialNumber, else Id>` for each controller of the
 * System's chassis' network adapters that reports a FirmwarePackageVersion. Read from this System's
 * own resources, so a BMC that serves several machines lists only this one's.
 */
export async function getFirmwareComponents(system: RedfishSystem): Promise<FirmwareComponent[]> {
  const versions = await getFirmwareVersions(system);
  const components: FirmwareComponent[] = [
    { id: 'bios', name: 'bios', version: versions.bios, updateable: true },
    { id: 'bmc', name: 'bmc', version: versions.bmc, updateable: true },
  ];
  for (const { adapter } of await networkAdapters(system)) {
    // One per controller that reports a version, named by the adapter's serial number where it has one (Ironic's).
    for (const controller of adapter.Controllers ?? []) {
      const version = controller.FirmwarePackageVersion ?? null;
      if (version === null) continue;
      const name = nicComponent(adapter);
      components.push({ id: name, name, version, updateable: true });
    }
  }
  return components;
}

type NetworkAdapter = z.infer<typeof networkAdapterSchema>;

/** Ironic's name for a network adapter's firmware: `nic:<SerialNumber>`, or `nic:<Id>` when it has none. */
function nicComponent(adapter: NetworkAdapter): string {
  return `nic:${adapter.SerialNumber ? adapter.SerialNumber : adapter.Id}`;
}

/** The network adapters of the System's chassis, with where each is. */
async function networkAdapters(system: RedfishSystem): Promise<{ path: string; adapter: NetworkAdapter }[]> {
  const found: { path: string; adapter: NetworkAdapter }[] = [];
  const body = (await system.client.getAs(system.path, systemSchema)).body;
  for (const chassisRef of body.Links?.Chassis ?? []) {
    const chassis = (await system.client.getAs(chassisRef['@odata.id'], chassisSchema)).body;
    if (!chassis.NetworkAdapters) continue;
    const adapters = (await system.client.getAs(chassis.NetworkAdapters['@odata.id'], collectionSchema)).body.Members;
    for (const ref of adapters) {
      const adapter = (await system.client.getAs(ref['@odata.id'], networkAdapterSchema)).body;
      found.push({ path: ref['@odata.id'], adapter });
    }
  }
  return found;
}

/**
 * The SimpleUpdate target of a component named as Ironic names it: the
 * System for `bios`, its Manager for `bmc`, the chassis' network adapter for
 * `nic:<Id>`. Refused up front when this BMC has no such component.
 */
export async function firmwareTargetOf(system: RedfishSystem, component: string): Promise<string> {
  const body = (await system.client.getAs(system.path, systemSchema)).body;
  if (component === 'bios') return system.path;
  if (component === 'bmc') {
    const manager = body.Links?.ManagedBy?.[0];
    if (manager) return manager['@odata.id'];
  } else if (component.startsWith('nic:')) {
    // By Ironic's name, or by the adapter's Id as Anvil named it before.
    const found = (await networkAdapters(system)).find(
      ({ adapter }) => nicComponent(adapter) === component || `nic:${adapter.Id}` === component,
    );
    if (found) return found.path;
  }
  throw new RedfishUnsupportedError(
    `the BMC has no firmware component ${component} (bios, bmc or nic:<adapter serial number or Id>)`,
  );
}

async function updateServicePath(system: RedfishSystem): Promise<string> {
  const root = (await system.client.getAs('/redfish/v1/', serviceRootSchema)).body;
  if (!root.UpdateService) throw new RedfishUnsupportedError('the BMC has no UpdateService');
  return root.UpdateService['@odata.id'];
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
