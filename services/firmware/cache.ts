import type { BmcDriver, FirmwareComponent } from '../../bmc-drivers/index.js';
import type { FirmwareRecord, ReportedFirmware } from './model.js';
import type { FirmwareRepository } from './repository.js';

type NodeRef = { id: number; uuid: string };

/**
 * Ironic's firmware cache: what the BMC reports is recorded with its history
 * whenever Anvil reads it (the API's firmware listing, inspection, the end
 * of a firmware update), and the API serves the record.
 */
export class FirmwareCache {
  constructor(private readonly repository: FirmwareRepository) {}

  list(node: NodeRef): Promise<FirmwareRecord[]> {
    return this.repository.listForNode(node.id);
  }

  /** Records the components as a firmware interface lists them; answers the node's record. */
  record(node: NodeRef, components: readonly FirmwareComponent[]): Promise<FirmwareRecord[]> {
    return this.repository.sync(node, reportedVersions(components));
  }

  /** Reads the BMC's components and records them; hardware without a firmware interface has nothing to record. */
  async refresh(node: NodeRef, driver: BmcDriver): Promise<void> {
    if (driver.firmware === undefined) return;
    await this.record(node, await driver.firmware.getComponents());
  }
}

/**
 * Components by Ironic's name, those with a version only: Ironic records
 * none for a BMC that does not say (no BiosVersion, a Manager without
 * FirmwareVersion), and its initial version is never empty.
 */
function reportedVersions(components: readonly FirmwareComponent[]): ReportedFirmware[] {
  const reported: ReportedFirmware[] = [];
  for (const c of components) if (c.version !== null) reported.push({ component: c.name ?? c.id, version: c.version });
  return reported;
}
