/**
 * What the BMC's attribute registry says of one BIOS setting, in Ironic's
 * words (its registry fields); null where the registry says nothing or the
 * BMC publishes none.
 */
export interface BiosRegistryFields {
  attribute_type: string | null;
  allowable_values: string[] | null;
  lower_bound: number | null;
  max_length: number | null;
  min_length: number | null;
  read_only: boolean | null;
  reset_required: boolean | null;
  unique: boolean | null;
  upper_bound: number | null;
}

/** One BIOS setting as the BMC reports it now: the value the firmware runs with, as text. */
export interface ReportedBiosSetting extends BiosRegistryFields {
  name: string;
  value: string | null;
}

/** A BIOS setting of a node as Anvil last recorded it (Ironic's bios_settings row). */
export interface BiosSettingRecord extends ReportedBiosSetting {
  node_id: number;
  created_at: string;
  /** When the value last changed; null while it is the value first recorded. */
  updated_at: string | null;
}

export const REGISTRY_FIELDS = [
  'attribute_type',
  'allowable_values',
  'lower_bound',
  'max_length',
  'min_length',
  'read_only',
  'reset_required',
  'unique',
  'upper_bound',
] as const satisfies readonly (keyof BiosRegistryFields)[];
