// The hardware inventory IPA collects in-band (its `inventory` object:
// interfaces, cpu, disks, memory, system_vendor, bmc_address, boot), built
// from the SimHost model so inspection finds what the Redfish face reports.
// Its disks are the block devices the OS sees behind the RAID controllers:
// each built volume as one disk, its member drives hidden, the drives in
// no volume as they are. Pure.
import { createHash } from 'node:crypto';
import { CONTROLLER_MODEL, controllerOf, protocolOf, type SimHost } from '../host/index.js';

export interface InventoryContext {
  /** Where this host's BMC answers, as IPA reads it with ipmitool. */
  bmcAddress: string;
  /** The MAC the host booted from. */
  bootMac: string | null;
}

/** A block device as IPA reports it. */
interface InventoryDisk {
  name: string;
  model: string;
  size: number;
  rotational: boolean;
  wwn: null;
  serial: string;
  vendor: string;
  wwn_with_extension: null;
  wwn_vendor_extension: null;
  hctl: null;
  by_path: null;
}

/** `a`..`z`, `aa`..: the kernel's sd names. */
function sdName(index: number): string {
  const letters = index < 26 ? '' : String.fromCharCode(96 + Math.floor(index / 26));
  return `/dev/sd${letters}${String.fromCharCode(97 + (index % 26))}`;
}

/**
 * Controller by controller, its volumes then its free drives, named as the
 * kernel names them: NVMe drives as NVMe namespaces, every other drive and
 * every volume (a SCSI disk the controller presents) as sdX.
 */
function blockDevices(host: SimHost): InventoryDisk[] {
  const volumes = host.storage.volumes;
  const members = new Set(volumes.flatMap((v) => v.driveIds));
  const disks = host.disks;
  const controllers = [...new Set(disks.map(controllerOf))];
  let sd = 0;
  let nvme = 0;
  const plain = { wwn: null, wwn_with_extension: null, wwn_vendor_extension: null, hctl: null, by_path: null };
  return controllers.flatMap((controller) => [
    ...volumes
      .filter((v) => v.controller === controller)
      .map((volume) => ({
        name: sdName(sd++),
        model: CONTROLLER_MODEL,
        size: volume.capacityBytes,
        rotational: disks.some((d) => volume.driveIds.includes(d.id) && d.type === 'HDD'),
        // A virtual drive's serial is its controller-given identity, not a member drive's.
        serial: createHash('sha256').update(`${host.uuid}/${controller}/${volume.id}`).digest('hex').slice(0, 32),
        vendor: 'SimRAID',
        ...plain,
      })),
    ...disks
      .filter((d) => controllerOf(d) === controller && !members.has(d.id))
      .map((disk) => ({
        name: protocolOf(disk) === 'NVMe' ? `/dev/nvme${nvme++}n1` : sdName(sd++),
        model: disk.model,
        size: disk.sizeBytes,
        rotational: disk.type === 'HDD',
        serial: disk.serial,
        vendor: 'SimDisk',
        ...plain,
      })),
  ]);
}

export function buildInventory(host: SimHost, context: InventoryContext) {
  const bios = host.firmware.find((f) => f.id === 'BIOS');
  return {
    interfaces: host.nics.map((nic, index) => ({
      name: `eth${index}`,
      mac_address: nic.mac,
      ipv4_address: null,
      ipv6_address: null,
      has_carrier: nic.link === 'up',
      lldp: null,
      vendor: '0x8086',
      product: '0x1572',
      client_id: null,
      biosdevname: null,
      speed_mbps: nic.speedMbps,
    })),
    cpu: {
      model_name: host.cpu.model,
      frequency: String(host.cpu.maxSpeedMHz),
      count: host.cpu.count * host.cpu.coresPerSocket * host.cpu.threadsPerCore,
      architecture: host.cpu.arch,
      flags: host.cpu.arch === 'x86_64' ? ['lm', 'vmx', 'sse4_2', 'avx2', 'aes'] : ['fp', 'asimd', 'aes'],
      socket_count: host.cpu.count,
    },
    disks: blockDevices(host),
    memory: { total: host.memoryMiB * 1024 * 1024, physical_mb: host.memoryMiB },
    bmc_address: context.bmcAddress,
    bmc_v6address: '::/0',
    system_vendor: {
      product_name: host.model,
      serial_number: host.serial,
      manufacturer: host.vendor,
      firmware: { vendor: host.vendor, version: bios?.version ?? '', build_date: '' },
    },
    boot: {
      current_boot_mode: (host.lastBoot?.mode ?? host.boot.mode) === 'uefi' ? 'uefi' : 'bios',
      pxe_interface: context.bootMac,
    },
    hostname: 'localhost.localdomain',
  };
}

export type Inventory = ReturnType<typeof buildInventory>;
