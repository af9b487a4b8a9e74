import { requireInterface, type BmcDriver } from '../../bmc-drivers/index.js';
import { withoutSession } from '../agent/index.js';
import type { Node } from '../nodes/index.js';
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
    await this.deps.inventory.save(node.id, { inventory, plugin_data });
    await this.ctx.refreshFirmware(node, driver);
    await task.fire('done', { properties: { ...node.properties, ...propertiesFromInventory(hw) } });
  }

  /** Boot the ramdisk, wait for its report (continue_inspection), then power off. */
  private async inspectInBand(task: StepTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    if (node.driver_internal_info.inspection_reported === true) {
      const power = await this.ctx.powerOffUnlessDisabled(node, driver);
      await this.ctx.ejectAgentMedia(node, driver);
      await task.fire('done', { power_state: power, driver_internal_info: withoutSession(node) });
      return;
    }
    await this.ctx.mayStart(node, 'inspect');
    await this.ctx.bootAgent(task, driver);
    await task.fire('wait');
  }
}
