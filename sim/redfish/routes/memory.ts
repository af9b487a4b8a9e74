import { Router } from 'express';
import type { SimHost } from '../../host/index.js';
import { collection, hostOr404, ROOT, sendResource, systemUri, type SimContext } from '../context.js';
import { RedfishFault } from '../errors.js';

// The DIMMs of a system. The machine only knows its memory size, so the
// modules are derived from it: the largest common DIMM size that fills two
// slots per socket or more, spread evenly over the sockets, summing exactly
// to the size the system reports.

const DIMM_SIZES_MIB = [65_536, 32_768, 16_384, 8192, 4096];
const MIN_DIMMS_PER_SOCKET = 2;
const CHANNELS_PER_SOCKET = 8;

interface Dimm {
  id: string;
  socket: number;
  channel: number;
  slot: number;
  capacityMiB: number;
}

function dimmsOf(host: SimHost): Dimm[] {
  const sockets = Math.max(1, host.cpu.count);
  const size =
    DIMM_SIZES_MIB.find(
      (s) => host.memoryMiB % (s * sockets) === 0 && host.memoryMiB / s >= MIN_DIMMS_PER_SOCKET * sockets,
    ) ?? null;
  // A size no DIMM layout fills evenly is one module, so the sum still holds.
  const count = size === null ? 1 : host.memoryMiB / size;
  const perSocket = Math.max(1, Math.floor(count / sockets));
  return Array.from({ length: count }, (_, i) => {
    const socket = Math.min(sockets - 1, Math.floor(i / perSocket));
    const local = i - socket * perSocket;
    return {
      id: `DIMM${i}`,
      socket: socket + 1,
      channel: local % CHANNELS_PER_SOCKET,
      slot: Math.floor(local / CHANNELS_PER_SOCKET),
      capacityMiB: size ?? host.memoryMiB,
    };
  });
}

function dimmBody(host: SimHost, dimm: Dimm): object {
  return {
    '@odata.type': '#Memory.v1_19_0.Memory',
    '@odata.id': `${systemUri(host)}/Memory/${dimm.id}`,
    Id: dimm.id,
    Name: `DIMM CPU${dimm.socket} channel ${dimm.channel} slot ${dimm.slot}`,
    MemoryType: 'DRAM',
    MemoryDeviceType: 'DDR5',
    BaseModuleType: 'RDIMM',
    CapacityMiB: dimm.capacityMiB,
    DataWidthBits: 64,
    BusWidthBits: 72,
    ErrorCorrection: 'MultiBitECC',
    OperatingSpeedMhz: 4800,
    Manufacturer: 'Anvil Sim',
    PartNumber: `SIM-DDR5-${dimm.capacityMiB / 1024}G`,
    SerialNumber: `${host.serial}-${dimm.id}`,
    MemoryLocation: { Socket: dimm.socket, Channel: dimm.channel, Slot: dimm.slot },
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

export function memoryRoutes(ctx: SimContext): Router {
  const router = Router();
  const base = `${ROOT}/Systems/:id/Memory`;

  router.get(base, (req, res) => {
    const host = hostOr404(ctx, req.params.id, 'system');
    const uri = `${systemUri(host)}/Memory`;
    sendResource(
      res,
      collection(
        uri,
        'Memory Module Collection',
        'MemoryCollection',
        dimmsOf(host).map((d) => `${uri}/${d.id}`),
      ),
    );
  });
  router.get(`${base}/:dimm`, (req, res) => {
    const host = hostOr404(ctx, req.params.id, 'system');
    const dimm = dimmsOf(host).find((d) => d.id === req.params.dimm);
    if (!dimm) throw new RedfishFault(404, 'ResourceNotFound', 'The requested memory module was not found.');
    sendResource(res, dimmBody(host, dimm));
  });

  return router;
}
