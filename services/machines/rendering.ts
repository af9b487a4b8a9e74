import type { NetworkAddressInput, NetworkData } from '../network-data/index.js';
import type { JsonObject } from '../nodes/index.js';
import type { MachineAddress, MachineImage, MachineSpec } from './model.js';

/** Ironic's instance_info image fields, without the ones another image left. */
const IMAGE_FIELDS = [
  'image_source',
  'image_checksum',
  'image_os_hash_algo',
  'image_os_hash_value',
  'image_disk_format',
];

/**
 * The node's instance_info for the machine's image (Ironic's fields): a
 * checksum without a type, or of type md5, is `image_checksum`; sha256 and
 * sha512 are `image_os_hash_algo`/`image_os_hash_value`. Pure.
 */
export function instanceInfoFor(current: JsonObject, image: MachineImage): JsonObject {
  const info: JsonObject = { ...current };
  for (const field of IMAGE_FIELDS) delete info[field];
  info.image_source = image.url;
  if (image.checksum_type === null || image.checksum_type === 'md5') info.image_checksum = image.checksum;
  else {
    info.image_os_hash_algo = image.checksum_type;
    info.image_os_hash_value = image.checksum;
  }
  if (image.disk_format !== null) info.image_disk_format = image.disk_format;
  return info;
}

/** The one deploy step a custom deploy runs (Metal3's customDeploy method, at the priority Ironic gives user steps). */
export function customDeployStep(spec: MachineSpec): JsonObject[] {
  if (spec.custom_deploy === null) return [];
  return [{ interface: 'deploy', step: spec.custom_deploy.method, priority: 80, args: spec.custom_deploy.args }];
}

/**
 * The machine's config drive: its user data, meta_data naming the host
 * (uuid of the node, the machine's name as name and hostname, then the data
 * template's keys, which may not override those), and network_data from the
 * addresses it claimed. Pure.
 */
export function configDriveFor(
  spec: MachineSpec,
  machine: { name: string },
  node: { uuid: string },
  networkData: NetworkData,
): JsonObject {
  const metaData: JsonObject = {
    ...(spec.data_template?.meta_data ?? {}),
    uuid: node.uuid,
    name: machine.name,
    hostname: machine.name,
  };
  const drive: JsonObject = { meta_data: metaData, network_data: { ...networkData } };
  if (spec.user_data !== null) drive.user_data = spec.user_data;
  return drive;
}

/**
 * A provisioned machine's addresses as Cluster API lists them: each IPAM
 * address, then the inventory's (other NICs), as InternalIP; the name as
 * Hostname and InternalDNS. Pure.
 */
export function machineAddresses(
  name: string,
  claimed: readonly Pick<NetworkAddressInput, 'address'>[],
  inventory: readonly string[],
): MachineAddress[] {
  const ips = [...new Set([...claimed.map((a) => a.address), ...inventory])];
  return [
    ...ips.map((address) => ({ type: 'InternalIP' as const, address })),
    { type: 'Hostname', address: name },
    { type: 'InternalDNS', address: name },
  ];
}

/** The addresses an inspection inventory reports on the host's NICs (IPA's `interfaces[].ipv4_address`). */
export function inventoryAddresses(inventory: JsonObject | null): string[] {
  const interfaces = inventory?.interfaces;
  if (!Array.isArray(interfaces)) return [];
  const out: string[] = [];
  for (const nic of interfaces) {
    if (nic === null || typeof nic !== 'object' || Array.isArray(nic)) continue;
    for (const key of ['ipv4_address', 'ipv6_address']) {
      const value = (nic as JsonObject)[key];
      if (typeof value === 'string' && value !== '' && !value.startsWith('fe80')) out.push(value);
    }
  }
  return out;
}
