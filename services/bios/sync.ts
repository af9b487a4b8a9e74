import { REGISTRY_FIELDS, type BiosSettingRecord, type ReportedBiosSetting } from './model.js';

export interface BiosSyncPlan {
  /** New to the node: recorded now. */
  create: ReportedBiosSetting[];
  /** A new value (with what the registry says of it now): its updated_at moves. */
  change: ReportedBiosSetting[];
  /**
   * The same value, described differently by the registry (a firmware
   * update brings a new one): rewritten so the description stays true, its
   * updated_at kept, which says when the value changed.
   */
  redescribe: ReportedBiosSetting[];
  /** Names the BIOS no longer has. */
  remove: string[];
}

/**
 * What a fresh read of the BIOS changes in what is recorded, by Ironic's
 * rule (BIOSSettingList.sync_node_setting): new settings are created, those
 * whose value differs are updated, those the BIOS no longer lists are
 * deleted. Values are compared as the text recorded, so a setting that did
 * not change is never rewritten (Ironic compares the BMC's integer or
 * boolean with its text and rewrites those on every read).
 */
export function planBiosSync(
  recorded: readonly BiosSettingRecord[],
  reported: readonly ReportedBiosSetting[],
): BiosSyncPlan {
  const byName = new Map(recorded.map((r) => [r.name, r]));
  const plan: BiosSyncPlan = { create: [], change: [], redescribe: [], remove: [] };
  const seen = new Set<string>();
  for (const setting of reported) {
    seen.add(setting.name);
    const known = byName.get(setting.name);
    if (known === undefined) plan.create.push(setting);
    else if (known.value !== setting.value) plan.change.push(setting);
    else if (!sameDescription(known, setting)) plan.redescribe.push(setting);
  }
  for (const r of recorded) if (!seen.has(r.name)) plan.remove.push(r.name);
  return plan;
}

function sameDescription(a: ReportedBiosSetting, b: ReportedBiosSetting): boolean {
  return REGISTRY_FIELDS.every((field) => JSON.stringify(a[field]) === JSON.stringify(b[field]));
}
