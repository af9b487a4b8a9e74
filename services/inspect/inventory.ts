import type { Knex } from 'knex';
import type { HardwareInventory } from '../../bmc-drivers/index.js';
import { col, rowCodec } from '../db/index.js';
import { NotFound } from '../errors.js';
import type { JsonObject } from '../nodes/index.js';

/** What `GET /v1/nodes/{id}/inventory` serves: Ironic's (and IPA's) inventory shape. */
export interface StoredInventory {
  inventory: JsonObject;
  plugin_data: JsonObject;
}

const INVENTORIES = rowCodec<StoredInventory>('node_inventory', {
  inventory: col.jsonObject,
  plugin_data: col.jsonObject,
});

/** One inventory per node, replaced by each inspection. */
export class InventoryStore {
  constructor(private readonly knex: Knex) {}

  async save(nodeId: number, doc: StoredInventory): Promise<void> {
    const row = { node_id: nodeId, ...INVENTORIES.toRow(doc), created_at: new Date().toISOString() };
    await this.knex('node_inventory').insert(row).onConflict('node_id').merge();
  }

  async get(nodeId: number, nodeUuid: string): Promise<StoredInventory> {
    const row: unknown = await this.knex('node_inventory').where({ node_id: nodeId }).first();
    // A 404 tells baremetal-operator that the node still needs inspecting.
    return INVENTORIES.fromFound(row, () => new NotFound(`Node ${nodeUuid} has no inventory yet: inspect it first.`));
  }
}

/**
 * An out-of-band inventory in the shape ironic-python-agent reports, so that
 * clients read one format whichever way a node was inspected.
 */
export function toIronicInventory(hw: HardwareInventory, bmcAddress: string): JsonObject {
  return {
    system_vendor: { manufacturer: hw.vendor, product_name: hw.model, serial_number: hw.serial },
    cpu: {
      count: hw.cpu.threads ?? hw.cpu.cores ?? hw.cpu.count,
      architecture: hw.cpu.arch,
      model_name: hw.cpu.model,
      frequency: hw.cpu.maxSpeedMHz === null ? null : String(hw.cpu.maxSpeedMHz),
    },
    memory: {
      physical_mb: hw.memoryMiB,
      total: hw.memoryMiB === null ? null : hw.memoryMiB * 1024 * 1024,
    },
    interfaces: hw.nics.map((n) => ({
      name: n.id,
      mac_address: n.mac,
      has_carrier: n.linkUp,
      speed_mbps: n.speedMbps,
    })),
    disks: hw.disks.map((d) => ({
      name: d.id,
      model: d.model,
      size: d.sizeBytes,
      rotational: d.type === null ? null : d.type === 'hdd',
      serial: d.serial,
    })),
    bmc_address: bmcAddress,
  };
}

/** Node properties Ironic sets from an inventory (cpus, memory_mb, local_gb, cpu_arch). */
export function propertiesFromInventory(hw: HardwareInventory): JsonObject {
  const props: JsonObject = {};
  const cpus = hw.cpu.threads ?? hw.cpu.cores ?? hw.cpu.count;
  if (cpus !== null) props.cpus = cpus;
  if (hw.memoryMiB !== null) props.memory_mb = hw.memoryMiB;
  if (hw.cpu.arch !== null) props.cpu_arch = hw.cpu.arch;
  const largest = Math.max(0, ...hw.disks.map((d) => d.sizeBytes ?? 0));
  // As Ironic: the largest disk in GiB, less one for partitioning alignment.
  if (largest > 0) props.local_gb = Math.max(0, Math.floor(largest / 2 ** 30) - 1);
  return props;
}
