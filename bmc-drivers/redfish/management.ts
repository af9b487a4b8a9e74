import type { BootDevice, BootDeviceInfo, BootMode, SetBootDeviceOptions } from '../driver.js';
import { RedfishUnsupportedError } from './errors.js';
import { systemSchema } from './schemas.js';
import type { RedfishSystem } from './system-path.js';

/** Redfish BootSourceOverrideTarget to Anvil's boot devices. */
export const BOOT_DEVICE_MAP: Readonly<Record<string, BootDevice>> = {
  Pxe: 'pxe',
  Hdd: 'disk',
  Cd: 'cdrom',
  // Supermicro X11/X12 present virtual media as a USB CD.
  UsbCd: 'cdrom',
  BiosSetup: 'bios',
};

export const BOOT_DEVICE_TO_TARGET: Readonly<Record<BootDevice, string>> = {
  pxe: 'Pxe',
  disk: 'Hdd',
  cdrom: 'Cd',
  bios: 'BiosSetup',
};

export const BOOT_MODE_MAP: Readonly<Record<string, BootMode>> = { UEFI: 'uefi', Legacy: 'bios' };
const BOOT_MODE_TO_REDFISH: Readonly<Record<BootMode, string>> = { uefi: 'UEFI', bios: 'Legacy' };

export async function getBootDevice(system: RedfishSystem): Promise<BootDeviceInfo> {
  const boot = (await system.client.getAs(system.path, systemSchema)).body.Boot;
  const enabled = boot?.BootSourceOverrideEnabled;
  const active = enabled === 'Once' || enabled === 'Continuous';
  return {
    device: active ? (BOOT_DEVICE_MAP[boot?.BootSourceOverrideTarget ?? ''] ?? null) : null,
    persistent: active ? enabled === 'Continuous' : null,
    mode: BOOT_MODE_MAP[boot?.BootSourceOverrideMode ?? ''] ?? null,
  };
}

export async function setBootDevice(
  system: RedfishSystem,
  device: BootDevice,
  options: SetBootDeviceOptions = {},
): Promise<void> {
  const { body, etag } = await system.client.getAs(system.path, systemSchema);
  const allowed = body.Boot?.['BootSourceOverrideTarget@Redfish.AllowableValues'];
  let target = BOOT_DEVICE_TO_TARGET[device];
  // Supermicro X11/X12 attach virtual media as a USB CD; booting "Cd" would
  // miss it, so use UsbCd where the BMC offers it (as sushy does).
  if (system.vendor === 'supermicro' && target === 'Cd' && allowed?.includes('UsbCd')) target = 'UsbCd';
  if (allowed !== undefined && !allowed.includes(target)) {
    throw new RedfishUnsupportedError(`the BMC does not offer boot target ${target} (allowed: ${allowed.join(', ')})`);
  }
  const enabled = options.persistent === true ? 'Continuous' : 'Once';
  const boot: Record<string, string> = { BootSourceOverrideTarget: target };
  // Some BMCs refuse BootSourceOverrideEnabled when it already has the value
  // sent (Ironic story 2007355), so send it only when it changes. Supermicro
  // BMCs are the opposite and need it with every target (story 2008547).
  if (system.vendor === 'supermicro' || body.Boot?.BootSourceOverrideEnabled !== enabled)
    boot.BootSourceOverrideEnabled = enabled;
  if (options.mode !== undefined) boot.BootSourceOverrideMode = BOOT_MODE_TO_REDFISH[options.mode];
  await system.client.patch(system.path, { Boot: boot }, etag === null ? {} : { etag });
  // Some BMCs reset the boot mode to Legacy when the boot device changes
  // (Ironic re-syncs it after every set_boot_device): check, and set it again.
  if (options.mode !== undefined) await setBootMode(system, options.mode);
}

/**
 * Boot by UEFI HTTP from `uri` (Redfish target UefiHttp with Boot.HttpBootUri),
 * refused before the PATCH where the BMC does not list UefiHttp among its
 * targets (or, listing none, shows no HttpBootUri property), as Ironic's
 * redfish-https boot checks. The mode is always UEFI: legacy BIOS
 * firmware has no HTTP boot.
 */
export async function setHttpBootUri(
  system: RedfishSystem,
  uri: string,
  options: { persistent?: boolean } = {},
): Promise<void> {
  const { body, etag } = await system.client.getAs(system.path, systemSchema);
  const allowed = body.Boot?.['BootSourceOverrideTarget@Redfish.AllowableValues'];
  if (allowed !== undefined && !allowed.includes('UefiHttp')) {
    throw new RedfishUnsupportedError(`the BMC does not offer boot target UefiHttp (allowed: ${allowed.join(', ')})`);
  }
  // A service may leave a null HttpBootUri out: only a BMC that lists no targets at all must show the property.
  if (allowed === undefined && (body.Boot === undefined || !('HttpBootUri' in body.Boot))) {
    throw new RedfishUnsupportedError('the BMC does not offer HTTP boot: its system has no Boot/HttpBootUri property');
  }
  await system.client.patch(
    system.path,
    {
      Boot: {
        BootSourceOverrideTarget: 'UefiHttp',
        BootSourceOverrideEnabled: options.persistent === true ? 'Continuous' : 'Once',
        BootSourceOverrideMode: 'UEFI',
        HttpBootUri: uri,
      },
    },
    etag === null ? {} : { etag },
  );
}

/** ComputerSystem.Reset with ResetType `Nmi`, refused up front where the BMC does not list it. */
export async function injectNmi(system: RedfishSystem): Promise<void> {
  const { body } = await system.client.getAs(system.path, systemSchema);
  const action = body.Actions?.['#ComputerSystem.Reset'];
  const allowed = action?.['ResetType@Redfish.AllowableValues'];
  if (allowed !== undefined && !allowed.includes('Nmi')) {
    throw new RedfishUnsupportedError(`the BMC does not offer the Nmi reset (allowed: ${allowed.join(', ')})`);
  }
  await system.client.post(action?.target ?? `${system.path}/Actions/ComputerSystem.Reset`, { ResetType: 'Nmi' });
}

export async function setBootMode(system: RedfishSystem, mode: BootMode): Promise<void> {
  const { body, etag } = await system.client.getAs(system.path, systemSchema);
  if (BOOT_MODE_MAP[body.Boot?.BootSourceOverrideMode ?? ''] === mode) return;
  await system.client.patch(
    system.path,
    { Boot: { BootSourceOverrideMode: BOOT_MODE_TO_REDFISH[mode] } },
    etag === null ? {} : { etag },
  );
}
