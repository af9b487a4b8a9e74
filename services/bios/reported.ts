import type { BiosAttributes, BiosRegistry, BiosValue } from '../../bmc-drivers/index.js';
import type { ReportedBiosSetting } from './model.js';

/**
 * The settings the BIOS has, each with its registry entry, as Ironic's
 * cache_bios_settings pairs them: a registry describes more than the BIOS
 * has, and only what the BIOS has is recorded.
 */
export function reportedSettings(attributes: BiosAttributes, registry: BiosRegistry | null): ReportedBiosSetting[] {
  return Object.entries(attributes).map(([name, value]) => {
    const entry = registry !== null && Object.hasOwn(registry, name) ? registry[name] : undefined;
    return {
      name,
      value: settingText(value),
      attribute_type: entry?.attributeType ?? null,
      allowable_values: entry?.allowableValues ?? null,
      lower_bound: entry?.lowerBound ?? null,
      max_length: entry?.maxLength ?? null,
      min_length: entry?.minLength ?? null,
      read_only: entry?.readOnly ?? null,
      reset_required: entry?.resetRequired ?? null,
      unique: entry?.unique ?? null,
      upper_bound: entry?.upperBound ?? null,
    };
  });
}

/**
 * A value as Ironic's API carries it, text. A JSON boolean is written as
 * JSON writes it, `true`/`false`: those are the only Boolean spellings
 * Metal3's FirmwareSchema accepts, and baremetal-operator compares what it
 * asked for with what this serves, as text. (Ironic passes the BMC's value
 * to its text column untouched, so there the spelling is the database
 * driver's; Python's `True` never reaches the API.)
 */
function settingText(value: BiosValue): string | null {
  return value === null ? null : String(value);
}
