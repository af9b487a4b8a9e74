import type { BiosAttributes } from '../driver.js';
import { RedfishUnsupportedError } from './errors.js';
import { biosSchema, biosSettingsSchema, systemSchema } from './schemas.js';
import type { RedfishSystem } from './system-path.js';

async function biosPath(system: RedfishSystem): Promise<string> {
  const ref = (await system.client.getAs(system.path, systemSchema)).body.Bios;
  if (!ref) throw new RedfishUnsupportedError(`${system.path} exposes no Bios resource`);
  return ref['@odata.id'];
}

/**
 * Where pending changes go. The Bios resource names it in @Redfish.Settings;
 * it is not always `Bios/Settings` (HPE iLO 5 uses `bios/settings/`), so
 * the guess is only for BMCs that name nothing.
 */
async function settingsPath(system: RedfishSystem, bios: string): Promise<string> {
  const body = (await system.client.getAs(bios, biosSchema)).body;
  return body['@Redfish.Settings']?.SettingsObject['@odata.id'] ?? `${bios.replace(/\/+$/, '')}/Settings`;
}

/** The attributes the firmware runs with now. */
export async function getBiosAttributes(system: RedfishSystem): Promise<BiosAttributes> {
  return (await system.client.getAs(await biosPath(system), biosSchema)).body.Attributes;
}

/** Changes staged for the next reset, not yet in effect. */
export async function getPendingBiosAttributes(system: RedfishSystem): Promise<BiosAttributes> {
  const bios = await biosPath(system);
  return (await system.client.getAs(await settingsPath(system, bios), biosSettingsSchema)).body.Attributes ?? {};
}

/**
 * Stages attribute changes through the Settings resource. They apply at the
 * next reset or power-on; reboot the system to make them current.
 */
export async function setBiosAttributes(system: RedfishSystem, attributes: BiosAttributes): Promise<void> {
  const bios = await biosPath(system);
  await system.client.patch(await settingsPath(system, bios), { Attributes: attributes });
}
