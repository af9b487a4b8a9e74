import type { JsonObject, Node } from '../nodes/index.js';

/** The three step flows, as Ironic names them in messages ("clean step ..."). */
export type StepFlow = 'clean' | 'deploy' | 'service';

export interface ArgInfo {
  description: string;
  required: boolean;
}

/** A step a node's interfaces can run: Ironic's driver step (`get_clean_steps` and friends). */
export interface StepDefinition {
  interface: string;
  step: string;
  /** Ironic's default priority: non-zero ones run in automated cleaning; for deploy, the order. */
  priority: number;
  argsinfo: Record<string, ArgInfo>;
  /** Runs inside the ramdisk agent (in-band); false when the BMC does it (out-of-band). */
  requiresRamdisk: boolean;
  abortable: boolean;
  flows: readonly StepFlow[];
}

/**
 * Steps the conductor resolves itself, whatever the interface named
 * (Ironic's reserved step names): power actions, a hold until `unhold`,
 * and a pause of a given number of seconds.
 */
export const RESERVED_STEPS = ['power_on', 'power_off', 'reboot', 'hold', 'wait'] as const;
export type ReservedStep = (typeof RESERVED_STEPS)[number];

export function reservedStep(step: JsonObject): ReservedStep | null {
  return RESERVED_STEPS.find((s) => s === step.step) ?? null;
}

const SETTINGS_BIOS: Record<string, ArgInfo> = {
  settings: {
    description: 'A list of BIOS settings to be applied, each a dictionary with "name" and "value".',
    required: true,
  },
};
const SETTINGS_FIRMWARE: Record<string, ArgInfo> = {
  settings: {
    description:
      'A list of dicts with firmware components to be updated: "url" of the image, and optionally "component" (bios, bmc, nic:<id>).',
    required: true,
  },
};
const RAID_CREATE: Record<string, ArgInfo> = {
  create_root_volume: {
    description: 'This specifies whether to create the root volume. Defaults to `True`.',
    required: false,
  },
  create_nonroot_volumes: {
    description: 'This specifies whether to create the non-root volumes. Defaults to `True`.',
    required: false,
  },
  delete_existing: {
    description:
      'Setting this to `True` indicates to delete existing RAID configuration prior to creating the new configuration. Default value is `False`.',
    required: false,
  },
};

const OUT_OF_BAND = { requiresRamdisk: false, abortable: false } as const;

/** What each interface implementation offers, by `<interface>:<implementation>`. */
const BY_IMPLEMENTATION: Record<string, readonly StepDefinition[]> = {
  'bios:redfish': [
    {
      interface: 'bios',
      step: 'apply_configuration',
      priority: 0,
      argsinfo: SETTINGS_BIOS,
      ...OUT_OF_BAND,
      flows: ['clean', 'deploy', 'service'],
    },
  ],
  'firmware:redfish': [
    {
      interface: 'firmware',
      step: 'update',
      priority: 0,
      argsinfo: SETTINGS_FIRMWARE,
      ...OUT_OF_BAND,
      flows: ['clean', 'deploy', 'service'],
    },
  ],
  'raid:redfish': [
    {
      interface: 'raid',
      step: 'create_configuration',
      priority: 0,
      argsinfo: RAID_CREATE,
      ...OUT_OF_BAND,
      flows: ['clean', 'deploy'],
    },
    {
      interface: 'raid',
      step: 'delete_configuration',
      priority: 0,
      argsinfo: {},
      ...OUT_OF_BAND,
      flows: ['clean', 'deploy'],
    },
  ],
  // The agent deploy's in-band cleaning, as ironic-python-agent's GenericHardwareManager offers it.
  'deploy:direct': [
    {
      interface: 'deploy',
      step: 'erase_devices_metadata',
      priority: 99,
      argsinfo: {},
      requiresRamdisk: true,
      abortable: true,
      flows: ['clean'],
    },
    {
      interface: 'deploy',
      step: 'erase_devices',
      priority: 0,
      argsinfo: {},
      requiresRamdisk: true,
      abortable: true,
      flows: ['clean'],
    },
  ],
};
// The ramdisk and custom-agent deploys clean through the agent as the direct one does (as in Ironic).
BY_IMPLEMENTATION['deploy:ramdisk'] = BY_IMPLEMENTATION['deploy:direct']!;
BY_IMPLEMENTATION['deploy:custom-agent'] = BY_IMPLEMENTATION['deploy:direct']!;
// iDRAC's BIOS and RAID speak Redfish here, with the same steps.
BY_IMPLEMENTATION['bios:idrac-redfish'] = BY_IMPLEMENTATION['bios:redfish']!;
BY_IMPLEMENTATION['raid:idrac-redfish'] = BY_IMPLEMENTATION['raid:redfish']!;

const STEP_INTERFACES = ['bios', 'firmware', 'raid', 'deploy'] as const;

/** The steps `node`'s interfaces offer for `flow`. */
export function offeredSteps(node: Node, flow: StepFlow): StepDefinition[] {
  return STEP_INTERFACES.flatMap((iface) =>
    (BY_IMPLEMENTATION[`${iface}:${node[`${iface}_interface`]}`] ?? []).filter((s) => s.flows.includes(flow)),
  );
}

/** A step as Ironic shows it in its messages: the user's dict in Python's repr. */
export function describeStep(step: JsonObject): string {
  return pythonRepr(step);
}

function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `'${k}': ${pythonRepr(v)}`);
  return `{${entries.join(', ')}}`;
}
