import { normalizeMac, type JsonObject } from '../nodes/index.js';
import { parseLldp } from './lldp.js';

/**
 * The processed inspection data Ironic stores beside an inventory
 * (`plugin_data`), in the standard keys baremetal-operator reads through
 * gophercloud: `all_interfaces` (each NIC with `pxe_enabled`),
 * `boot_interface`, `macs`, `parsed_lldp`. `received` is what the agent sent
 * beside its inventory (nothing for out-of-band inspection); the NIC that
 * booted is the one it names as `boot_interface`, else the node's ports
 * that may PXE-boot (`pxeMacs`).
 */
export function standardPluginData(
  inventory: JsonObject,
  received: JsonObject,
  pxeMacs: readonly string[],
): JsonObject {
  const interfaces = (Array.isArray(inventory.interfaces) ? inventory.interfaces : []).filter(
    (i): i is JsonObject => typeof i === 'object' && i !== null && !Array.isArray(i),
  );
  const bootMac = bootInterfaceMac(received.boot_interface ?? inventory.boot_interface);
  const booted = new Set(bootMac === null ? pxeMacs.flatMap((m) => normalizeMac(m) ?? []) : [bootMac]);
  const all: JsonObject = {};
  const parsedLldp: JsonObject = {};
  const macs: string[] = [];
  for (const nic of interfaces) {
    const name = typeof nic.name === 'string' ? nic.name : null;
    const mac = typeof nic.mac_address === 'string' ? normalizeMac(nic.mac_address) : null;
    if (name === null || mac === null) continue;
    all[name] = { ...nic, mac_address: mac, pxe_enabled: booted.has(mac) };
    macs.push(mac);
    if (nic.lldp !== undefined && nic.lldp !== null) parsedLldp[name] = parseLldp(nic.lldp);
  }
  return {
    ...received,
    all_interfaces: all,
    valid_interfaces: all,
    macs,
    boot_interface: bootMac,
    parsed_lldp: parsedLldp,
  };
}

/** IPA reports the booted NIC as PXE's BOOTIF (`01-aa-bb-cc-dd-ee-ff`: `01` is Ethernet) or as a plain MAC. */
function bootInterfaceMac(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const bootif = /^01-((?:[0-9a-f]{2}-){5}[0-9a-f]{2})$/i.exec(value);
  return normalizeMac(bootif ? bootif[1]!.replace(/-/g, ':') : value);
}
