import { z } from 'zod';

/**
 * More NICs or disks than any server has (a large JBOD holds a few hundred
 * disks): the list is bounded so that what walks it stays cheap.
 */
const MAX_DEVICES = 4096;

/** What may be absent or null in IPA's reports. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

/**
 * The parts of IPA's inventory that Anvil reads (lookup by MAC, ports,
 * plugin data, node properties), with the types IPA sends them in. Every
 * other key is kept as sent: inspection rules may read anything.
 */
const nic = z.looseObject({
  name: maybe(z.string()),
  mac_address: maybe(z.string()),
  lldp: maybe(z.array(z.unknown())),
});

const inventory = z.looseObject({
  interfaces: z.array(nic).max(MAX_DEVICES).optional(),
  cpu: maybe(z.looseObject({ count: maybe(z.number()), architecture: maybe(z.string()) })),
  memory: maybe(z.looseObject({ physical_mb: maybe(z.number()), total: maybe(z.number()) })),
  disks: z
    .array(z.looseObject({ size: maybe(z.number()) }))
    .max(MAX_DEVICES)
    .optional(),
  boot_interface: maybe(z.string()),
});

/** The body of `POST /v1/continue_inspection`: the inventory, and plugin data beside it. */
export const inspectionDataSchema = z.looseObject({
  inventory,
  boot_interface: maybe(z.string()),
});
