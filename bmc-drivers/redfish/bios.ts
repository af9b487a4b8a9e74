import { z } from 'zod';
import type { BiosAttributes, BiosRegistry, BiosRegistryEntry, BiosValue } from '../driver.js';
import { RedfishAuthError, RedfishUnsupportedError } from './errors.js';
import { biosSchema, biosSettingsSchema, collectionSchema, odataRef, systemSchema } from './schemas.js';
import type { RedfishSystem } from './system-path.js';

/** Settings a registry forbids: read-only, or a value it does not allow. Nothing was sent to the BMC. */
export class InvalidBiosSettings extends Error {
  constructor(readonly problems: Readonly<Record<string, string>>) {
    super(
      `invalid value for setting(s): ${Object.entries(problems)
        .map(([name, why]) => `${name} (${why})`)
        .join(', ')}`,
    );
    this.name = 'InvalidBiosSettings';
  }
}

const count = z.number().int().nullish();
const flag = z.boolean().nullish();

const registryRootSchema = z.looseObject({ Registries: odataRef.optional() });
const biosRegistryNameSchema = z.looseObject({ AttributeRegistry: z.string().nullish() });
const registryFileSchema = z.looseObject({
  Id: z.string(),
  Registry: z.string().nullish(),
  Location: z.array(z.looseObject({ Language: z.string().nullish(), Uri: z.string().nullish() })).nullish(),
});
const attributeSchema = z.looseObject({
  AttributeName: z.string(),
  Type: z.string().nullish(),
  Value: z.array(z.looseObject({ ValueName: z.string().nullish(), ValueDisplayName: z.string().nullish() })).nullish(),
  ReadOnly: flag,
  ResetRequired: flag,
  IsSystemUniqueProperty: flag,
  LowerBound: count,
  UpperBound: count,
  MinLength: count,
  MaxLength: count,
});
const attributeRegistrySchema = z.looseObject({
  '@odata.type': z.string().nullish(),
  RegistryEntries: z.looseObject({ Attributes: z.array(attributeSchema).nullish() }).nullish(),
});

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
 * The attribute registry the Bios resource names, found as sushy finds it:
 * the Registries collection's file whose Id or Registry is that name, then
 * the registry at the file's English (or default) Location. Null when the
 * BMC names none or does not serve it; Ironic then caches the settings
 * without metadata, and so does this.
 */
export async function getBiosRegistry(system: RedfishSystem): Promise<BiosRegistry | null> {
  const { client } = system;
  const name = (await client.getAs(await biosPath(system), biosRegistryNameSchema)).body.AttributeRegistry;
  if (!name) return null;
  try {
    const registries = (await client.getAs('/redfish/v1/', registryRootSchema)).body.Registries;
    if (!registries) return null;
    const members = (await client.getAs(registries['@odata.id'], collectionSchema)).body.Members.map(
      (m) => m['@odata.id'],
    );
    // Dozens of message registries sit beside it on some BMCs: look first where the path names it.
    const stem = name.split('.')[0]!.toLowerCase();
    const ordered = [
      ...members.filter((uri) => uri.toLowerCase().includes(stem)),
      ...members.filter((uri) => !uri.toLowerCase().includes(stem)),
    ];
    for (const uri of ordered) {
      const file = (await client.getAs(uri, registryFileSchema)).body;
      if (file.Id !== name && file.Registry !== name) continue;
      const location = registryLocation(file.Location ?? []);
      if (location === null) return null;
      const registry = (await client.getAs(location, attributeRegistrySchema)).body;
      if (!registry['@odata.type']?.endsWith('AttributeRegistry')) return null;
      return Object.fromEntries((registry.RegistryEntries?.Attributes ?? []).map((a) => [a.AttributeName, entryOf(a)]));
    }
    return null;
  } catch (err) {
    // A registry the BMC names but will not serve leaves the settings without metadata, as in Ironic.
    // Whatever else goes wrong reading it (a 5xx, a timeout) too; only refused credentials are the caller's to see.
    if (err instanceof RedfishAuthError) throw err;
    return null;
  }
}

function registryLocation(locations: ReadonlyArray<{ Language?: string | null; Uri?: string | null }>): string | null {
  const withUri = locations.filter((l) => l.Uri);
  const chosen =
    withUri.find((l) => l.Language?.toLowerCase() === 'en') ??
    withUri.find((l) => l.Language?.toLowerCase() === 'default');
  return chosen?.Uri ?? null;
}

function entryOf(a: z.infer<typeof attributeSchema>): BiosRegistryEntry {
  // Ironic takes ValueName, else ValueDisplayName, for each enumeration value.
  const values = a.Value?.map((v) => v.ValueName ?? v.ValueDisplayName).filter((v): v is string => Boolean(v));
  return {
    attributeType: a.Type ?? null,
    allowableValues: values ?? null,
    lowerBound: a.LowerBound ?? null,
    upperBound: a.UpperBound ?? null,
    minLength: a.MinLength ?? null,
    maxLength: a.MaxLength ?? null,
    readOnly: a.ReadOnly ?? null,
    resetRequired: a.ResetRequired ?? null,
    unique: a.IsSystemUniqueProperty ?? null,
  };
}

/**
 * Checks settings against the registry and gives them the JSON types it
 * declares, as Ironic's redfish BIOS interface does before it PATCHes:
 * Ironic's API carries values as strings ("3", "true") while the BMC wants
 * 3 and true. Settings the registry does not describe pass as given.
 */
export function checkBiosSettings(attributes: BiosAttributes, registry: BiosRegistry): BiosAttributes {
  const checked: BiosAttributes = {};
  const problems: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const entry = Object.hasOwn(registry, name) ? registry[name] : undefined;
    const outcome = entry === undefined ? { value } : checkValue(entry, value);
    if ('problem' in outcome) problems[name] = outcome.problem;
    else checked[name] = outcome.value;
  }
  if (Object.keys(problems).length > 0) throw new InvalidBiosSettings(problems);
  return checked;
}

function checkValue(entry: BiosRegistryEntry, value: BiosValue): { value: BiosValue } | { problem: string } {
  if (entry.readOnly) return { problem: 'read-only' };
  switch (entry.attributeType) {
    case 'Enumeration': {
      const allowed = entry.allowableValues ?? [];
      if (allowed.length > 0 && !allowed.includes(String(value))) return { problem: `one of ${allowed.join(', ')}` };
      return { value: value === null ? null : String(value) };
    }
    case 'Integer': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && /^-?\d+$/.test(value.trim())
            ? Number(value)
            : NaN;
      if (!Number.isInteger(n)) return { problem: 'an integer' };
      if ((entry.lowerBound !== null && n < entry.lowerBound) || (entry.upperBound !== null && n > entry.upperBound))
        return { problem: `from ${entry.lowerBound ?? '-'} to ${entry.upperBound ?? '-'}` };
      return { value: n };
    }
    case 'Boolean':
      if (typeof value === 'boolean') return { value };
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return { value: value.toLowerCase() === 'true' };
      return { problem: 'true or false' };
    case 'String':
    case 'Password': {
      if (typeof value !== 'string') return { value };
      if (
        (entry.minLength !== null && value.length < entry.minLength) ||
        (entry.maxLength !== null && value.length > entry.maxLength)
      )
        return { problem: `${entry.minLength ?? 0} to ${entry.maxLength ?? '-'} characters` };
      return { value };
    }
    default:
      return { value };
  }
}

/**
 * Stages attribute changes through the Settings resource, checked and typed
 * against the BMC's registry when it has one. They apply at the next reset
 * or power-on; reboot the system to make them current.
 */
export async function setBiosAttributes(system: RedfishSystem, attributes: BiosAttributes): Promise<void> {
  const registry = await getBiosRegistry(system);
  const checked = registry === null ? attributes : checkBiosSettings(attributes, registry);
  const bios = await biosPath(system);
  await system.client.patch(await settingsPath(system, bios), { Attributes: checked });
}
