import type { BmcDriver } from '../../bmc-drivers/index.js';
import type { BiosSettingRecord } from './model.js';
import { reportedSettings } from './reported.js';
import type { BiosSettingsRepository } from './repository.js';

type NodeRef = { id: number; uuid: string };

/**
 * Ironic's BIOS settings cache: the conductor reads the BMC's settings and
 * registry when its work may have changed them (verify, the end of
 * cleaning, a BIOS step) and records them; the API serves the record and
 * never asks the BMC, so a busy node or a silent BMC still answers.
 */
export class BiosSettingsCache {
  constructor(private readonly repository: BiosSettingsRepository) {}

  list(node: NodeRef): Promise<BiosSettingRecord[]> {
    return this.repository.listForNode(node.id);
  }

  /** One setting, or null when the node's BIOS was not read with it. */
  get(node: NodeRef, name: string): Promise<BiosSettingRecord | null> {
    return this.repository.get(node.id, name);
  }

  /**
   * Reads the settings and their registry from the BMC and records them.
   * A node whose BIOS interface is switched off (`no-bios`), or hardware
   * without one, has nothing to record, as Ironic's no-bios caches nothing.
   */
  async refresh(node: NodeRef & { bios_interface: string }, driver: BmcDriver): Promise<void> {
    if (node.bios_interface.startsWith('no-') || driver.bios === undefined) return;
    const attributes = await driver.bios.getAttributes();
    const registry = await driver.bios.getRegistry();
    await this.repository.sync(node, reportedSettings(attributes, registry));
  }
}
