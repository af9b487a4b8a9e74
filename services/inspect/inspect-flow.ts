import { requireInterface, type BmcDriver } from '../../bmc-drivers/index.js';
import { withoutSession } from '../agent/index.js';
import type { InspectionRules, RulesOutcome } from '../inspection-rules/index.js';
import type { Node, NodeChanges } from '../nodes/index.js';
import { StepFailure, type FlowContext, type FlowSteps, type StepTask } from '../steps/index.js';
import { propertiesFromInventory, toIronicInventory, type InventoryStore } from './inventory.js';
import { standardPluginData } from './plugin-data.js';

/** What inspection does with the NICs it finds. */
export type AddPorts = 'all' | 'none';

/** Creates the ports of a node's discovered NICs that do not exist yet; returns the MACs it skipped. */
export type PortMaker = (node: Node, macs: string[]) => Promise<string[]>;

export interface InspectFlowDeps {
  inventory: InventoryStore;
  makePorts: PortMaker;
  addPorts: AddPorts;
  /** The MACs of a node's ports that may network-boot. */
  pxeMacs(node: Node): Promise<string[]>;
  /** The inspection rules, applied once the inspection data is in. */
  rules: Pick<InspectionRules, 'apply'>;
}

/**
 * Inspection on Redfish and IPMI hardware: out of band, the BMC's inventory
 * (and ports for the NICs it lists); in band (`agent`), the ramdisk's own
 * report, which arrives through continue_inspection while the node waits.
 */
export class InspectFlow {
  readonly steps: FlowSteps = { inspecting: (t, d) => this.inspect(t, d) };

  constructor(
    private readonly ctx: FlowContext,
    private readonly deps: InspectFlowDeps,
  ) {}

  private async inspect(task: StepTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    if (node.inspect_interface === 'agent') return this.inspectInBand(task, driver);
    if (node.inspect_interface.startsWith('no-'))
      throw new StepFailure('Inspection is disabled for this node (inspect_interface no-inspect).');
    const hw = await requireInterface(driver, 'inspect').inspectHardware();
    if (this.deps.addPorts === 'all' && hw.nics.length > 0) {
      const skipped = await this.deps.makePorts(
        node,
        hw.nics.map((n) => n.mac),
      );
      for (const mac of skipped)
        await this.ctx.warn(
          node,
          `Inspection found NIC ${mac}, which is already a port of another node; no port created`,
        );
    }
    // After the ports: which NIC boots is what the node's ports say, out of band.
    const inventory = toIronicInventory(hw, driver.bmc);
    const plugin_data = standardPluginData(inventory, {}, await this.deps.pxeMacs(node));
    const properties = { ...node.properties, ...propertiesFromInventory(hw) };
    // The rules see the node as inspected; what they make of the plugin data is stored.
    const rules = await this.deps.rules.apply({ ...node, properties }, inventory, plugin_data);
    await this.deps.inventory.save(node.id, { inventory, plugin_data: rules.pluginData });
    await this.ctx.refreshFirmware(node, driver);
    await this.finish(task, rules, { properties }, (failure) => failure);
  }

  /** Boot the ramdisk, wait for its report (continue_inspection), then power off. */
  private async inspectInBand(task: StepTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    if (node.driver_internal_info.inspection_reported === true) {
      const stored = await this.deps.inventory.get(node.id, node.uuid);
      const rules = await this.deps.rules.apply(node, stored.inventory, stored.plugin_data);
      if (rules.pluginDataChanged)
        await this.deps.inventory.save(node.id, { inventory: stored.inventory, plugin_data: rules.pluginData });
      const power = await this.ctx.powerOffUnlessDisabled(node, driver);
      await this.ctx.ejectAgentMedia(node, driver);
      const changes = { power_state: power, driver_internal_info: withoutSession(node) };
      await this.finish(task, rules, changes, (failure) => `Failed to finish inspection: ${failure}`);
      return;
    }
    await this.ctx.mayStart(node, 'inspect');
    await this.ctx.bootAgent(task, driver);
    await task.fire('wait');
  }

  /**
   * Done with what inspection found and the rules changed; or, when a rule
   * failed the inspection, those written all the same (as Ironic's actions
   * save the node as they go) and the step failed with the rule's error.
   */
  private async finish(
    task: StepTask,
    rules: RulesOutcome,
    found: NodeChanges,
    failedAs: (failure: string) => string,
  ): Promise<void> {
    const changes = { ...found, ...rules.nodeChanges };
    if (rules.failure === null) return task.fire('done', changes);
    await task.update(changes);
    throw new StepFailure(failedAs(rules.failure));
  }
}
