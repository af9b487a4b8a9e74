import type { BootEnabled, BootMode, BootTarget } from '../host/index.js';

// The host model speaks its own words; Redfish has its own. These tables are
// the one place they meet.

export const BOOT_TARGET_TO_REDFISH: Record<BootTarget, string> = {
  none: 'None',
  pxe: 'Pxe',
  hdd: 'Hdd',
  cd: 'Cd',
  'bios-setup': 'BiosSetup',
  'uefi-http': 'UefiHttp',
};

export const BOOT_ENABLED_TO_REDFISH: Record<BootEnabled, string> = {
  once: 'Once',
  continuous: 'Continuous',
  disabled: 'Disabled',
};

export const BOOT_MODE_TO_REDFISH: Record<BootMode, string> = {
  uefi: 'UEFI',
  legacy: 'Legacy',
};

export function fromRedfish<K extends string>(table: Record<K, string>, value: string): K | undefined {
  for (const [key, word] of Object.entries(table) as Array<[K, string]>) {
    if (word === value) return key;
  }
  return undefined;
}
