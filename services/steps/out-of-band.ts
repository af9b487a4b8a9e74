import {
  InvalidRaidConfiguration,
  requireInterface,
  targetLogicalDisks,
  type BiosAttributes,
  type BmcDriver,
} from '../../bmc-drivers/index.js';
import type { JsonObject, Node, NodeChanges } from '../nodes/index.js';
import { awaitBiosApplied } from './bios-applied.js';
import { StepFailure } from './step-failure.js';

/** What out-of-band steps are bounded by. */
export interface OutOfBandLimits {
  /** How long staged BIOS settings may take to show as current after the reboot that applies them. */
  biosApplyTimeoutMs: number;
}

/**
 * Runs a step the BMC carries out (no agent): BIOS settings through the
 * settings resource and a reboot to apply them, firmware updates through
 * the update service, RAID volumes through the storage service, each
 * followed to its end. Returns what the step changes on the node.
 */
export async function runOutOfBandStep(
  step: JsonObject,
  driver: BmcDriver,
  node: Node,
  limits: OutOfBandLimits,
): Promise<NodeChanges> {
  const name = `${String(step.interface)}.${String(step.step)}`;
  const args = (step.args ?? {}) as JsonObject;
  switch (name) {
    case 'bios.apply_configuration': {
      const settings = args.settings;
      if (!Array.isArray(settings) || settings.some((s) => !isNamedSetting(s)))
        throw new StepFailure('bios.apply_configuration needs args.settings: a list of {name, value}.');
      const attributes: BiosAttributes = {};
      for (const s of settings as JsonObject[]) attributes[String(s.name)] = s.value as BiosAttributes[string];
      const bios = requireInterface(driver, 'bios');
      await bios.applySettings(attributes);
      // BIOS settings apply at the next boot.
      await driver.power.setPowerState('rebooting');
      await awaitBiosApplied(bios, attributes, node.uuid, limits.biosApplyTimeoutMs);
      return {};
    }
    case 'firmware.update': {
      const settings = args.settings;
      if (!Array.isArray(settings))
        throw new StepFailure('firmware.update needs args.settings: a list of {url, component?}.');
      for (const item of settings as unknown[]) {
        const s = (item !== null && typeof item === 'object' ? item : {}) as JsonObject;
        if (typeof s.url !== 'string' || (s.component !== undefined && typeof s.component !== 'string'))
          throw new StepFailure('firmware.update needs args.settings: a list of {url, component?} strings.');
        // `component` is Ironic's name (bios, bmc, nic:<id>), as baremetal-operator sends it.
        const result = await requireInterface(driver, 'firmware').update(s.url, {
          ...(s.component ? { component: s.component } : {}),
        });
        if (!result.succeeded) {
          throw new StepFailure(`Firmware update from ${s.url} ended ${result.state}: ${result.messages.join('; ')}`);
        }
      }
      return {};
    }
    case 'raid.create_configuration':
      return { raid_config: await createRaid(node, driver, args) };
    case 'raid.delete_configuration':
      await requireInterface(driver, 'raid').deleteConfiguration();
      return { raid_config: { logical_disks: [], last_updated: new Date().toISOString() } };
    default:
      throw new StepFailure(`Step ${name} is not supported by the ${driver.name} driver.`);
  }
}

function isNamedSetting(s: unknown): boolean {
  return s !== null && typeof s === 'object' && typeof (s as JsonObject).name === 'string';
}

/**
 * Builds the node's target RAID configuration, or the part of it the step's
 * arguments select (root volume, the others), after deleting what exists
 * when asked; the node's raid_config then records the volumes as built.
 */
async function createRaid(node: Node, driver: BmcDriver, args: JsonObject): Promise<JsonObject> {
  const raid = requireInterface(driver, 'raid');
  try {
    const disks = targetLogicalDisks(node.target_raid_config);
    if (args.delete_existing === true) await raid.deleteConfiguration();
    const built = await raid.createConfiguration(disks, {
      createRootVolume: args.create_root_volume !== false,
      createNonrootVolumes: args.create_nonroot_volumes !== false,
    });
    return { logical_disks: built as unknown as JsonObject[], last_updated: new Date().toISOString() };
  } catch (err) {
    if (err instanceof InvalidRaidConfiguration) {
      throw new StepFailure(`RAID configuration of node ${node.uuid} cannot be built: ${err.message}`);
    }
    throw err;
  }
}
