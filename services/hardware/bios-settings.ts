import type { BiosAttributes, BiosRegistry } from '../../bmc-drivers/index.js';

/**
 * One BIOS setting in Ironic's words (its bios_settings row): the value the
 * firmware runs with, as a string, and what the BMC's attribute registry
 * says of it; null where the registry says nothing or there is none.
 */
export interface BiosSettingView {
  name: string;
  value: string | null;
  attribute_type: string | null;
  allowable_values: string[] | null;
  lower_bound: number | null;
  upper_bound: number | null;
  min_length: number | null;
  max_length: number | null;
  read_only: boolean | null;
  reset_required: boolean | null;
  unique: boolean | null;
}

/** The settings the BIOS has, each with its registry entry; a registry describes more than the BIOS has. */
export function biosSettingViews(attributes: BiosAttributes, registry: BiosRegistry | null): BiosSettingView[] {
  return Object.entries(attributes).map(([name, value]) => {
    const entry = registry !== null && Object.hasOwn(registry, name) ? registry[name] : undefined;
    return {
      name,
      value: value === null ? null : String(value),
      attribute_type: entry?.attributeType ?? null,
      allowable_values: entry?.allowableValues ?? null,
      lower_bound: entry?.lowerBound ?? null,
      upper_bound: entry?.upperBound ?? null,
      min_length: entry?.minLength ?? null,
      max_length: entry?.maxLength ?? null,
      read_only: entry?.readOnly ?? null,
      reset_required: entry?.resetRequired ?? null,
      unique: entry?.unique ?? null,
    };
  });
}
