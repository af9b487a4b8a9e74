// The hardware inventory IPA collects in-band (its `inventory` object:
// interfaces, cpu, disks, memory, system_vendor, bmc_address, boot), built
// from the SimHost model so inspection finds what the Redfish face reports.
// Its disks are the block devices the OS sees (block-devices.ts). Pure.
import type { SimHost } from '../host/index.js';
import { blockDevices } from './block-devices.js';

export interface InventoryContext {
  /** Where this host's BMC answers, as IPA reads it with ipmitool. */
  bmcAddress: string;
  /** The MAC the host booted from. */
  bootMac: string | null;
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
