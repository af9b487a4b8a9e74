import type { FirmwareRecord, ReportedFirmware } from './model.js';

/** A recorded component whose version the BMC now reports differently. */
export interface FirmwareChange {
  component: string;
  /** The version recorded, which the write checks is still there (another reader may have got there first). */
  previous: string;
  version: string;
}

export interface FirmwareSyncPlan {
  /** Seen for the first time: recorded with this version as initial and current. */
  create: ReportedFirmware[];
  change: FirmwareChange[];
}

/**
 * What a fresh report from the BMC changes in what is recorded, by Ironic's
 * rule (FirmwareComponentList.sync_firmware_components): a new component is
 * recorded as first seen; a known one whose version differs moved to it, so
 * it becomes both the current version and the last one flashed. Components
 * the BMC no longer lists keep their record, as in Ironic.
 */
export function planFirmwareSync(
  recorded: readonly FirmwareRecord[],
  reported: readonly ReportedFirmware[],
): FirmwareSyncPlan {
  const byComponent = new Map(recorded.map((r) => [r.component, r]));
  const plan: FirmwareSyncPlan = { create: [], change: [] };
  for (const r of reported) {
    const known = byComponent.get(r.component);
    if (known === undefined) plan.create.push(r);
    else if (known.current_version !== r.version)
      plan.change.push({ component: r.component, previous: known.current_version, version: r.version });
  }
  return plan;
}
