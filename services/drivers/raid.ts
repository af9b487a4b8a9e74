import { InvalidParameterValue, UnsupportedDriverExtension } from '../errors.js';
import type { JsonObject, Node } from '../nodes/index.js';

/** A check of one value: null when it passes, else jsonschema's wording of the failure. */
type Check = (value: unknown) => string | null;

interface LogicalDiskProperty {
  description: string;
  check: Check;
}

/**
 * Python's repr of a JSON value, as jsonschema's messages show it (Ironic
 * passes them through), so an error reads the same as from Ironic.
 */
function repr(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return `[${value.map(repr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${repr(k)}: ${repr(v)}`)
      .join(', ')}}`;
  }
  // What is left of JSON: a number.
  return JSON.stringify(value);
}

const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function ofType(type: 'string' | 'boolean' | 'array' | 'object'): Check {
  return (v) => {
    const ok =
      type === 'array'
        ? Array.isArray(v)
        : type === 'object'
          ? typeof v === 'object' && v !== null && !Array.isArray(v)
          : typeof v === type;
    return ok ? null : `${repr(v)} is not of type '${type}'`;
  };
}

function oneOf(values: readonly string[]): Check {
  return (v) =>
    ofType('string')(v) ?? (values.includes(v as string) ? null : `${repr(v)} is not one of ${repr(values)}`);
}

/** Ironic's RAID levels. */
export const RAID_LEVELS = ['JBOD', '0', '1', '2', '5', '6', '1+0', '5+0', '6+0'] as const;

/**
 * The logical disk of a target RAID configuration, as Ironic's
 * raid_config_schema.json declares it: each property's check and its
 * description (what `GET /v1/drivers/{name}/raid/logical_disk_properties` lists).
 */
const LOGICAL_DISK: Record<string, LogicalDiskProperty> = {
  raid_level: {
    description:
      "RAID level for the logical disk. Valid values are 'JBOD', '0', '1', '2', '5', '6', '1+0', '5+0' and '6+0'. Required.",
    check: oneOf(RAID_LEVELS),
  },
  size_gb: {
    description:
      "Size in GiB (Integer) for the logical disk. Use 'MAX' as size_gb if this logical disk is supposed to use the rest of the space available. Required.",
    // jsonschema names the branch of the anyOf a value came closest to.
    check: (v) => {
      if (typeof v === 'string') return v === 'MAX' ? null : `${repr(v)} is not one of ['MAX']`;
      if (isInteger(v)) return v >= 0 ? null : `${v} is less than the minimum of 0`;
      return `${repr(v)} is not valid under any of the given schemas`;
    },
  },
  volume_name: {
    description: 'Name of the volume to be created. If this is not specified, it will be auto-generated. Optional.',
    check: ofType('string'),
  },
  is_root_volume: {
    description: 'Specifies whether this disk is a root volume. By default, this is False. Optional.',
    check: ofType('boolean'),
  },
  share_physical_disks: {
    description:
      'Specifies whether other logical disks can share physical disks with this logical disk. By default, this is False. Optional.',
    check: ofType('boolean'),
  },
  disk_type: {
    description:
      "The type of disk preferred. Valid values are 'hdd' and 'ssd'. If this is not specified, disk type will not be a selection criterion for choosing backing physical disks. Optional.",
    check: oneOf(['hdd', 'ssd']),
  },
  interface_type: {
    description:
      "The interface type of disk. Valid values are 'sata', 'scsi' and 'sas'. If this is not specified, interface type will not be a selection criterion for choosing backing physical disks. Optional.",
    check: oneOf(['sata', 'scsi', 'sas']),
  },
  number_of_physical_disks: {
    description:
      'Number of physical disks to use for this logical disk. By default, the driver uses the minimum number of disks required for that RAID level. Optional.',
    check: (v) =>
      !isInteger(v)
        ? `${repr(v)} is not of type 'integer'`
        : v <= 0
          ? `${v} is less than or equal to the minimum of 0`
          : null,
  },
  controller: {
    description:
      'Controller to use for this logical disk. If not specified, the driver will choose a suitable RAID controller on the bare metal node. Optional.',
    check: ofType('string'),
  },
  physical_disks: {
    description:
      'The physical disks to use for this logical disk. If not specified, the driver will choose suitable physical disks to use. Optional.',
    // A list of disk names, or of at least two disk descriptions.
    check: (v) =>
      Array.isArray(v) &&
      (v.every((d) => typeof d === 'string') || (v.length >= 2 && v.every((d) => ofType('object')(d) === null)))
        ? null
        : `${repr(v)} is not valid under any of the given schemas`,
  },
};

const REQUIRED = ['raid_level', 'size_gb'];

/** What a driver's RAID interface lets a logical disk name, with Ironic's descriptions. */
export function logicalDiskProperties(): Record<string, string> {
  return Object.fromEntries(Object.entries(LOGICAL_DISK).map(([name, p]) => [name, p.description]));
}

function logicalDiskProblem(disk: unknown): string | null {
  const notObject = ofType('object')(disk);
  if (notObject) return notObject;
  const fields = disk as JsonObject;
  for (const name of REQUIRED) if (!(name in fields)) return `'${name}' is a required property`;
  const unexpected = Object.keys(fields).filter((k) => !(k in LOGICAL_DISK));
  if (unexpected.length > 0) {
    return `Additional properties are not allowed (${unexpected.map(repr).join(', ')} ${unexpected.length === 1 ? 'was' : 'were'} unexpected)`;
  }
  for (const [name, value] of Object.entries(fields)) {
    const problem = LOGICAL_DISK[name]!.check(value);
    if (problem) return problem;
  }
  if ('physical_disks' in fields && !('controller' in fields))
    return "'controller' is a dependency of 'physical_disks'";
  return null;
}

/** Why `config` is not a valid target RAID configuration, in Ironic's words; null when it is. */
export function raidConfigProblem(config: JsonObject): string | null {
  const schemaError = (() => {
    if (!('logical_disks' in config)) return "'logical_disks' is a required property";
    const unexpected = Object.keys(config).filter((k) => k !== 'logical_disks');
    if (unexpected.length > 0) {
      return `Additional properties are not allowed (${unexpected.map(repr).join(', ')} ${unexpected.length === 1 ? 'was' : 'were'} unexpected)`;
    }
    const disks = config.logical_disks;
    const notArray = ofType('array')(disks);
    if (notArray) return notArray;
    if ((disks as unknown[]).length === 0) return '[] should be non-empty';
    for (const disk of disks as unknown[]) {
      const problem = logicalDiskProblem(disk);
      if (problem) return problem;
    }
    return null;
  })();
  if (schemaError) return `RAID config validation error: ${schemaError}`;
  const roots = (config.logical_disks as JsonObject[]).filter((d) => d.is_root_volume === true).length;
  if (roots > 1) return `Raid config cannot have more than one root volume. ${roots} root volumes were specified`;
  return null;
}

/** The RAID interfaces whose raid.create_configuration builds a target: fake-hardware's, and Redfish volumes. */
const BUILT_BY: ReadonlySet<string> = new Set(['fake', 'redfish', 'idrac-redfish']);

/**
 * What the node's RAID interface says of a target RAID configuration: a
 * `no-raid` node refuses any; an empty configuration (which clears the
 * target) is always accepted, as in Ironic.
 */
export function checkTargetRaidConfig(node: Node, config: JsonObject): void {
  if (Object.keys(config).length === 0) return;
  // The agent's RAID is not carried out yet, so its target is refused rather than kept unbuilt.
  if (!BUILT_BY.has(node.raid_interface)) throw new UnsupportedDriverExtension(node.driver, 'raid');
  const problem = raidConfigProblem(config);
  if (problem) throw new InvalidParameterValue(problem);
  if (node.raid_interface !== 'fake' && (config.logical_disks as JsonObject[]).some((d) => d.interface_type === 'scsi'))
    throw new InvalidParameterValue('interface type `scsi` not supported by Redfish RAID');
}
