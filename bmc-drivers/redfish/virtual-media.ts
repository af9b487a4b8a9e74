import { z } from 'zod';
import type { VirtualMediaSlot } from '../driver.js';
import { RedfishHttpError, RedfishUnsupportedError } from './errors.js';
import { collectionSchema, managerSchema, systemSchema, virtualMediaSchema, type VirtualMedia } from './schemas.js';
import type { RedfishSystem } from './system-path.js';

export interface VirtualMediaDevice {
  path: string;
  id: string;
  /** Where it was found: under the System (Redfish 2021.1+) or its Manager. */
  owner: 'system' | 'manager';
  image: string | null;
  inserted: boolean;
  body: VirtualMedia;
}

/** iLO 4 predates the standard actions and offers its own under Oem.Hpe. */
const hpeOemActions = z.looseObject({
  Hpe: z.looseObject({
    Actions: z.looseObject({
      '#HpeiLOVirtualMedia.InsertVirtualMedia': z.looseObject({ target: z.string() }).optional(),
      '#HpeiLOVirtualMedia.EjectVirtualMedia': z.looseObject({ target: z.string() }).optional(),
    }),
  }),
});

const CD_TYPES = ['CD', 'DVD'];

/**
 * The CD/DVD virtual media device of a system. Looks under the System first
 * and then under each Manager that manages it: Dell iDRAC (before firmware
 * 6.x), HPE iLO 5, Supermicro and Lenovo XCC only have it on the Manager,
 * and sushy looks nowhere else.
 */
export async function findVirtualMedia(system: RedfishSystem): Promise<VirtualMediaDevice> {
  for (const place of await mediaCollections(system)) {
    const list = (await system.client.getAs(place.path, collectionSchema)).body.Members;
    for (const ref of list) {
      const path = ref['@odata.id'];
      const media = (await system.client.getAs(path, virtualMediaSchema)).body;
      // HPE iLO lists a floppy/USB device (Id 1) before the CD (Id 2), so
      // match on MediaTypes, never on position.
      if ((media.MediaTypes ?? []).some((t) => CD_TYPES.includes(t))) {
        return {
          path,
          id: media.Id,
          owner: place.owner,
          image: media.Image ?? null,
          inserted: media.Inserted === true,
          body: media,
        };
      }
    }
  }
  throw new RedfishUnsupportedError(`${system.path} has no CD/DVD virtual media under the System or its Managers`);
}

/**
 * Every virtual media device, CD or not, as Ironic's get_vmedia lists them:
 * the System's own collection when it has one, else the first Manager's
 * that holds any.
 */
export async function listVirtualMedia(system: RedfishSystem): Promise<VirtualMediaSlot[]> {
  const places = await mediaCollections(system);
  const own = places.filter((p) => p.owner === 'system');
  for (const place of own.length > 0 ? own : places) {
    const members = (await system.client.getAs(place.path, collectionSchema)).body.Members;
    if (members.length === 0) continue;
    const slots: VirtualMediaSlot[] = [];
    for (const ref of members) {
      const media = (await system.client.getAs(ref['@odata.id'], virtualMediaSchema)).body;
      slots.push({ mediaTypes: media.MediaTypes ?? [], inserted: media.Inserted === true, image: media.Image ?? null });
    }
    return slots;
  }
  return [];
}

/** The VirtualMedia collections of the System, then of each Manager that manages it. */
async function mediaCollections(
  system: RedfishSystem,
): Promise<Array<{ path: string; owner: VirtualMediaDevice['owner'] }>> {
  const body = (await system.client.getAs(system.path, systemSchema)).body;
  const places: Array<{ path: string; owner: VirtualMediaDevice['owner'] }> = [];
  if (body.VirtualMedia) places.push({ path: body.VirtualMedia['@odata.id'], owner: 'system' });
  for (const ref of body.Links?.ManagedBy ?? []) {
    const manager = (await system.client.getAs(ref['@odata.id'], managerSchema)).body;
    if (manager.VirtualMedia) places.push({ path: manager.VirtualMedia['@odata.id'], owner: 'manager' });
  }
  return places;
}

/** Attaches an ISO by URL, ejecting whatever was there first. */
export async function insertVirtualMedia(system: RedfishSystem, imageUrl: string): Promise<VirtualMediaDevice> {
  let device = await findVirtualMedia(system);
  if (device.inserted || device.image) {
    await ejectDevice(system, device);
    device = await findVirtualMedia(system);
  }
  const insert = device.body.Actions?.['#VirtualMedia.InsertMedia'];
  const oem = hpeOemActions.safeParse(device.body.Oem);
  if (insert) {
    // Inserted and WriteProtected default to true (schema 2021.1); Supermicro
    // X11 rejects the request when they are sent, so they are left out.
    const payload: Record<string, unknown> = { Image: imageUrl };
    try {
      await system.client.post(insert.target, payload);
    } catch (err) {
      // Supermicro X11/X12 demand TransferProtocolType and say so with
      // ActionParameterMissing naming #/TransferProtocolType.
      if (
        !(err instanceof RedfishHttpError) ||
        err.status !== 400 ||
        !err.relatedProperties.includes('#/TransferProtocolType')
      )
        throw err;
      payload.TransferProtocolType = imageUrl.startsWith('https:') ? 'HTTPS' : 'HTTP';
      await system.client.post(insert.target, payload);
    }
  } else if (oem.success && oem.data.Hpe.Actions['#HpeiLOVirtualMedia.InsertVirtualMedia']) {
    await system.client.post(oem.data.Hpe.Actions['#HpeiLOVirtualMedia.InsertVirtualMedia'].target, {
      Image: imageUrl,
    });
  } else {
    // Lenovo XCC (e.g. SD530) has no InsertMedia action: the image is
    // PATCHed onto the device, and it must say Inserted or nothing attaches.
    await system.client.patch(device.path, { Image: imageUrl, Inserted: true, WriteProtected: true });
  }
  return findVirtualMedia(system);
}

/** Detaches the image. Returns false when nothing was inserted. */
export async function ejectVirtualMedia(system: RedfishSystem): Promise<boolean> {
  const device = await findVirtualMedia(system);
  if (!device.inserted && !device.image) return false;
  await ejectDevice(system, device);
  return true;
}

async function ejectDevice(system: RedfishSystem, device: VirtualMediaDevice): Promise<void> {
  const eject = device.body.Actions?.['#VirtualMedia.EjectMedia'];
  const oem = hpeOemActions.safeParse(device.body.Oem);
  // HPE iLO answers 415/400 to an EjectMedia without a JSON body; an empty
  // object satisfies it and every other BMC.
  if (eject) await system.client.post(eject.target, {});
  else if (oem.success && oem.data.Hpe.Actions['#HpeiLOVirtualMedia.EjectVirtualMedia']) {
    await system.client.post(oem.data.Hpe.Actions['#HpeiLOVirtualMedia.EjectVirtualMedia'].target, {});
  } else await system.client.patch(device.path, { Image: null, Inserted: false });
}
