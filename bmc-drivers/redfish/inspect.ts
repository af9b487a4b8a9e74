import type { z } from 'zod';
import type { HardwareInventory, InventoryCpu, InventoryDisk, InventoryNic } from '../driver.js';
import { RedfishHttpError } from './errors.js';
import {
  collectionSchema,
  driveSchema,
  ethernetInterfaceSchema,
  processorSchema,
  simpleStorageSchema,
  storageSchema,
  systemSchema,
} from './schemas.js';
import type { RedfishSystem } from './system-path.js';

/** Out-of-band inspection: everything the BMC knows without booting the host. */
export async function inspectHardware(system: RedfishSystem): Promise<HardwareInventory> {
  const body = (await system.client.getAs(system.path, systemSchema)).body;
  const memoryGiB = body.MemorySummary?.TotalSystemMemoryGiB;
  return {
    vendor: body.Manufacturer ?? null,
    model: body.Model ?? null,
    serial: body.SerialNumber ?? null,
    uuid: body.UUID ?? null,
    cpu: await inspectCpu(system, body),
    memoryMiB: typeof memoryGiB === 'number' ? Math.round(memoryGiB * 1024) : null,
    nics: await inspectNics(system, body.EthernetInterfaces?.['@odata.id']),
    disks: await inspectDisks(system, body),
  };
}

/** GETs each member of a collection, one at a time (one call at a time per BMC). */
async function members<T>(system: RedfishSystem, path: string, schema: z.ZodType<T>): Promise<T[]> {
  const list = (await system.client.getAs(path, collectionSchema)).body.Members;
  const out: T[] = [];
  for (const member of list) out.push((await system.client.getAs(member['@odata.id'], schema)).body);
  return out;
}

function archOf(
  architecture: string | null | undefined,
  instructionSet: string | null | undefined,
): InventoryCpu['arch'] {
  const words = `${architecture ?? ''} ${instructionSet ?? ''}`.toLowerCase();
  if (words.includes('arm') || words.includes('a64')) return 'aarch64';
  if (words.includes('x86')) return 'x86_64';
  return null;
}

async function inspectCpu(system: RedfishSystem, body: z.infer<typeof systemSchema>): Promise<InventoryCpu> {
  const summary = body.ProcessorSummary;
  const processorsPath = body.Processors?.['@odata.id'];
  const cpus =
    processorsPath === undefined
      ? []
      : (await members(system, processorsPath, processorSchema)).filter((p) => (p.ProcessorType ?? 'CPU') === 'CPU');
  const sum = (pick: (p: (typeof cpus)[number]) => number | null | undefined): number | null =>
    cpus.some((p) => typeof pick(p) === 'number') ? cpus.reduce((acc, p) => acc + (pick(p) ?? 0), 0) : null;
  const first = cpus[0];
  return {
    count: cpus.length > 0 ? cpus.length : (summary?.Count ?? null),
    cores: sum((p) => p.TotalCores) ?? summary?.CoreCount ?? null,
    threads: sum((p) => p.TotalThreads),
    model: first?.Model ?? summary?.Model ?? null,
    arch: first ? archOf(first.ProcessorArchitecture, first.InstructionSet) : null,
    maxSpeedMHz: first?.MaxSpeedMHz ?? null,
  };
}

async function inspectNics(system: RedfishSystem, path: string | undefined): Promise<InventoryNic[]> {
  if (path === undefined) return [];
  const nics: InventoryNic[] = [];
  for (const nic of await members(system, path, ethernetInterfaceSchema)) {
    const mac = nic.MACAddress ?? nic.PermanentMACAddress;
    if (!mac) continue;
    const link = nic.LinkStatus;
    nics.push({
      id: nic.Id,
      mac: mac.toLowerCase().replaceAll('-', ':'),
      linkUp: link === 'LinkUp' ? true : link === 'LinkDown' || link === 'NoLink' ? false : null,
      speedMbps: nic.SpeedMbps ?? null,
    });
  }
  return nics;
}

function diskType(mediaType: string | null | undefined): InventoryDisk['type'] {
  if (mediaType === 'SSD') return 'ssd';
  if (mediaType === 'HDD') return 'hdd';
  return null;
}

async function inspectDisks(system: RedfishSystem, body: z.infer<typeof systemSchema>): Promise<InventoryDisk[]> {
  const storagePath = body.Storage?.['@odata.id'];
  if (storagePath !== undefined) {
    try {
      const disks: InventoryDisk[] = [];
      for (const storage of await members(system, storagePath, storageSchema)) {
        for (const ref of storage.Drives ?? []) {
          const drive = (await system.client.getAs(ref['@odata.id'], driveSchema)).body;
          disks.push({
            id: drive.Id,
            model: drive.Model ?? drive.Name ?? null,
            sizeBytes: drive.CapacityBytes ?? null,
            type: diskType(drive.MediaType),
            serial: drive.SerialNumber ?? null,
          });
        }
      }
      return disks;
    } catch (err) {
      // Some BMCs advertise Storage and answer 404 or 501 for it; fall back
      // to SimpleStorage when they have it.
      if (!(err instanceof RedfishHttpError) || body.SimpleStorage === undefined) throw err;
    }
  }
  const simplePath = body.SimpleStorage?.['@odata.id'];
  if (simplePath === undefined) return [];
  // SimpleStorage (iLO 4, older Supermicro) knows sizes, not media type or serial.
  return (await members(system, simplePath, simpleStorageSchema)).flatMap((controller) =>
    (controller.Devices ?? []).map((device, index) => ({
      id: `${controller.Id}-${index}`,
      model: device.Model ?? device.Name ?? null,
      sizeBytes: device.CapacityBytes ?? null,
      type: null,
      serial: null,
    })),
  );
}
