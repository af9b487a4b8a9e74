import type { BiosValue } from './types.js';

/** DMTF AttributeRegistry's attribute types. */
export type BiosAttributeType = 'Enumeration' | 'String' | 'Integer' | 'Boolean' | 'Password';

/**
 * What the firmware says about one BIOS attribute: its type, the values it
 * takes and whether it can be set at all. Faces publish it (Redfish as an
 * AttributeRegistry) and the host holds changes to it.
 */
export interface BiosAttributeDefinition {
  name: string;
  displayName: string;
  type: BiosAttributeType;
  /** The names an Enumeration takes. */
  values?: readonly string[];
  readOnly: boolean;
  /** A change takes a reset to apply. */
  resetRequired: boolean;
  lowerBound?: number;
  upperBound?: number;
  minLength?: number;
  maxLength?: number;
}

const ON_OFF = ['Enabled', 'Disabled'] as const;

function settable(
  name: string,
  displayName: string,
  type: BiosAttributeType,
  extra: Partial<BiosAttributeDefinition> = {},
): BiosAttributeDefinition {
  return { name, displayName, type, readOnly: false, resetRequired: true, ...extra };
}

/** Every attribute of the fleet's default BIOS, described. */
export const SIM_BIOS_REGISTRY: readonly BiosAttributeDefinition[] = [
  settable('BootMode', 'Boot Mode', 'Enumeration', { values: ['Uefi', 'Bios'] }),
  settable('ProcTurboMode', 'Turbo Boost', 'Enumeration', { values: ON_OFF }),
  settable('ProcVirtualization', 'Virtualization Technology', 'Enumeration', { values: ON_OFF }),
  settable('SriovGlobalEnable', 'SR-IOV Global Enable', 'Enumeration', { values: ON_OFF }),
  settable('SecureBoot', 'Secure Boot', 'Enumeration', { values: ON_OFF }),
  settable('NumLock', 'Keyboard NumLock', 'Enumeration', { values: ['On', 'Off'] }),
  settable('PxeRetryCount', 'PXE Retry Count', 'Integer', { lowerBound: 0, upperBound: 10 }),
  settable('PowerOnDelaySeconds', 'Power-On Delay (s)', 'Integer', { lowerBound: 0, upperBound: 600 }),
  settable('SerialConsoleEnabled', 'Serial Console', 'Boolean'),
  settable('AssetTag', 'Asset Tag', 'String', { minLength: 0, maxLength: 16 }),
  {
    name: 'ProcCoreCount',
    displayName: 'Cores per Processor',
    type: 'Integer',
    readOnly: true,
    resetRequired: false,
  },
];

export type BiosValueProblem = 'ReadOnly' | 'WrongType' | 'NotInList' | 'OutOfRange';

/** Why the firmware would refuse `value` for this attribute, or null when it takes it. */
export function biosValueProblem(definition: BiosAttributeDefinition, value: BiosValue): BiosValueProblem | null {
  if (definition.readOnly) return 'ReadOnly';
  switch (definition.type) {
    case 'Enumeration':
      if (typeof value !== 'string') return 'WrongType';
      return definition.values === undefined || definition.values.includes(value) ? null : 'NotInList';
    case 'Integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'WrongType';
      if (definition.lowerBound !== undefined && value < definition.lowerBound) return 'OutOfRange';
      if (definition.upperBound !== undefined && value > definition.upperBound) return 'OutOfRange';
      return null;
    case 'Boolean':
      return typeof value === 'boolean' ? null : 'WrongType';
    case 'String':
    case 'Password':
      if (typeof value !== 'string') return 'WrongType';
      if (definition.minLength !== undefined && value.length < definition.minLength) return 'OutOfRange';
      if (definition.maxLength !== undefined && value.length > definition.maxLength) return 'OutOfRange';
      return null;
  }
}

/** The firmware's reason, to follow the attribute's name: `is read-only`, `takes 0 to 10`. */
export function describeBiosProblem(definition: BiosAttributeDefinition, problem: BiosValueProblem): string {
  switch (problem) {
    case 'ReadOnly':
      return 'is read-only';
    case 'WrongType':
      return `expects a${definition.type === 'Integer' || definition.type === 'Enumeration' ? 'n' : ''} ${definition.type}`;
    case 'NotInList':
      return `takes one of ${(definition.values ?? []).join(', ')}`;
    case 'OutOfRange':
      return definition.type === 'Integer'
        ? `takes ${definition.lowerBound ?? 'any'} to ${definition.upperBound ?? 'any'}`
        : `takes ${definition.minLength ?? 0} to ${definition.maxLength ?? 'any'} characters`;
  }
}
