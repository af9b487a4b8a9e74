import {
  InvalidDriverInfo,
  requireInterface,
  UnsupportedOperation,
  type BiosAttributes,
  type BmcDriver,
  type BootMode,
  type PowerTarget,
} from '../../bmc-drivers/index.js';
import type { NodeHistory } from '../events/history.js';
import { propertiesFromInventory, toIronicInventory, type InventoryStore } from '../inspect/inventory.js';
import type { JsonObject, Node, PowerState, TargetPowerState } from '../nodes/model.js';
import type { ProvisionState } from '../nodes/states.js';
import type { DriverCache } from './driver-cache.js';
import type { HardwareRuntime, NodeTask } from './hardware-runtime.js';

/** What inspection does with the NICs it finds. */
export type AddPorts = 'all' | 'none';

export interface BmcRuntimeOptions {
  /** Default wait for a power change to show, when the request names none. */
  powerTimeoutSeconds: number;
  /** Whether automated cleaning is on for nodes that leave `automated_clean` unset. */
  automatedClean: boolean;
  addPorts: AddPorts;
}

/** Creates the ports of a node's discovered NICs that do not exist yet; returns the MACs it skipped. */
export type PortMaker = (node: Node, macs: string[]) => Promise<string[]>;

/** A step failed in a way a person must fix; the message goes to last_error as it is. */
class StepFailure extends Error {}

type Step = (task: NodeTask, driver: BmcDriver) => Promise<void>;

/**
 * Carries Redfish and IPMI nodes through their work with the node's BMC
 * driver. Each call to `advance` runs the current state's step, which ends
 * in an event: done, wait (for the ramdisk agent), or fail.
 */
export class BmcRuntime implements HardwareRuntime {
  private readonly steps: Partial<Record<ProvisionState, Step>> = {
    verifying: (t, d) => this.verify(t, d),
    inspecting: (t, d) => this.inspect(t, d),
    cleaning: (t, d) => this.clean(t, d),
    deploying: (t, d) => this.deploy(t, d),
    deleting: (t, d) => this.tearDown(t, d),
    adopting: (t, d) => this.adopt(t, d),
  };

  constructor(
    private readonly drivers: DriverCache,
    private readonly inventory: InventoryStore,
    private readonly makePorts: PortMaker,
    private readonly history: NodeHistory,
    private readonly options: BmcRuntimeOptions,
  ) {}

  async advance(task: NodeTask): Promise<void> {
    // Bounded: the longest chain here (deleting → cleaning → available) is two steps.
    for (let i = 0; i < 4; i++) {
      const state = task.node.provision_state;
      const step = this.steps[state];
      if (!step) {
        if (state === 'rescuing' || state === 'unrescuing' || state === 'servicing') {
          await task.fire('fail', { last_error: `${state} is not supported by this conductor yet.` });
        }
        return;
      }
      try {
        await step(task, this.driverFor(task.node));
      } catch (err) {
        await task.fire('fail', { last_error: failureMessage(state, task.node, err) });
        return;
      }
      if (task.node.provision_state === state) return;
    }
  }

  async setPower(task: NodeTask, target: TargetPowerState, timeoutSeconds: number | null): Promise<PowerState> {
    const driver = this.driverFor(task.node);
    await driver.power.setPowerState(target, { timeoutMs: (timeoutSeconds ?? this.options.powerTimeoutSeconds) * 1000 });
    return target === 'power off' || target === 'soft power off' ? 'power off' : 'power on';
  }

  private driverFor(node: Node): BmcDriver {
    try {
      return this.drivers.for(node);
    } catch (err) {
      if (err instanceof InvalidDriverInfo) throw new StepFailure(`Cannot reach the BMC: ${err.message}`);
      throw err;
    }
  }

  /** Verifying: the credentials work and the power state can be read. */
  private async verify(task: NodeTask, driver: BmcDriver): Promise<void> {
    const power = await driver.power.getPowerState();
    await task.fire('done', { power_state: power });
  }

  private async adopt(task: NodeTask, driver: BmcDriver): Promise<void> {
    const power = await driver.power.getPowerState();
    await task.fire('done', { power_state: power });
  }

  private async inspect(task: NodeTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    if (node.inspect_interface === 'agent') {
      // In-band inspection: boot the ramdisk and wait for it to report.
      await this.bootRamdisk(task, driver);
      await task.fire('wait');
      return;
    }
    if (node.inspect_interface.startsWith('no-')) throw new StepFailure('Inspection is disabled for this node (inspect_interface no-inspect).');
    const hw = await requireInterface(driver, 'inspect').inspectHardware();
    await this.inventory.save(node.id, { inventory: toIronicInventory(hw, driver.bmc), plugin_data: {} });
    if (this.options.addPorts === 'all' && hw.nics.length > 0) {
      const skipped = await this.makePorts(node, hw.nics.map((n) => n.mac));
      for (const mac of skipped) {
        await this.history.record(node.id, {
          severity: 'WARNING',
          event_type: 'provisioning',
          event: `Inspection found NIC ${mac}, which is already a port of another node; no port created`,
        });
      }
    }
    await task.fire('done', { properties: { ...node.properties, ...propertiesFromInventory(hw) } });
  }

  /**
   * Manual cleaning runs the requested steps; automated cleaning runs the
   * agent's metadata erase, which needs the ramdisk agent. Out-of-band steps
   * (BIOS settings, firmware updates) run here, through the BMC.
   */
  private async clean(task: NodeTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    const manual = node.target_provision_state === 'manageable';
    const steps = manual ? ((node.driver_internal_info.clean_steps as JsonObject[] | undefined) ?? []) : this.automatedSteps(node);
    for (const step of steps) {
      await task.update({ clean_step: step });
      await this.runCleanStep(step, driver);
    }
    const { clean_steps: _done, ...internal } = task.node.driver_internal_info;
    if (steps.length > 0) await driver.power.setPowerState('power off');
    await task.fire(manual ? 'manage' : 'done', {
      clean_step: {},
      driver_internal_info: internal,
      ...(steps.length > 0 ? { power_state: 'power off' as const } : {}),
    });
  }

  private automatedSteps(node: Node): JsonObject[] {
    const enabled = node.automated_clean ?? this.options.automatedClean;
    return enabled ? [{ interface: 'deploy', step: 'erase_devices_metadata', priority: 99, args: {} }] : [];
  }

  private async runCleanStep(step: JsonObject, driver: BmcDriver): Promise<void> {
    const name = `${String(step.interface)}.${String(step.step)}`;
    const args = (step.args ?? {}) as JsonObject;
    switch (name) {
      case 'bios.apply_configuration': {
        const settings = args.settings;
        if (!Array.isArray(settings)) throw new StepFailure('bios.apply_configuration needs args.settings: a list of {name, value}.');
        const attributes: BiosAttributes = {};
        for (const s of settings as JsonObject[]) attributes[String(s.name)] = s.value as BiosAttributes[string];
        await requireInterface(driver, 'bios').applySettings(attributes);
        // BIOS settings apply at the next boot.
        await driver.power.setPowerState('rebooting');
        return;
      }
      case 'firmware.update': {
        const settings = args.settings;
        if (!Array.isArray(settings)) throw new StepFailure('firmware.update needs args.settings: a list of {url, component?}.');
        for (const s of settings as JsonObject[]) {
          const result = await requireInterface(driver, 'firmware').update(String(s.url), {
            ...(s.component ? { targets: [String(s.component)] } : {}),
          });
          if (result.state !== 'Completed') {
            throw new StepFailure(`Firmware update from ${String(s.url)} ended ${result.state}: ${result.messages.join('; ')}`);
          }
        }
        return;
      }
      case 'deploy.erase_devices_metadata':
      case 'deploy.erase_devices':
        throw new StepFailure(
          `Clean step ${name} runs in the ramdisk agent, which this conductor cannot boot yet; set automated_clean to false for this node or run out-of-band steps only.`,
        );
      default:
        throw new StepFailure(`Clean step ${name} is not supported by the ${driver.name} driver.`);
    }
  }

  /** Deploy up to `wait call-back`: boot the agent, then wait for it to call back. */
  private async deploy(task: NodeTask, driver: BmcDriver): Promise<void> {
    await this.bootRamdisk(task, driver);
    await task.fire('wait');
  }

  private async tearDown(task: NodeTask, driver: BmcDriver): Promise<void> {
    await driver.power.setPowerState('power off');
    if (isVirtualMediaBoot(task.node)) await requireInterface(driver, 'virtualMedia').eject();
    await task.fire('clean', { power_state: 'power off' });
  }

  /** Next boot from the network (or the agent ISO over virtual media), then (re)start the machine. */
  private async bootRamdisk(task: NodeTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    const mode = bootModeOf(node);
    if (isVirtualMediaBoot(node)) {
      const iso = node.driver_info.deploy_iso;
      if (typeof iso !== 'string' || iso === '') {
        throw new StepFailure("Virtual media boot needs driver_info/deploy_iso: the URL of the agent ISO.");
      }
      await requireInterface(driver, 'virtualMedia').insert(iso);
      await driver.management.setBootDevice('cdrom', { persistent: false, mode });
    } else {
      await driver.management.setBootDevice('pxe', { persistent: false, mode });
    }
    const target: PowerTarget = (await driver.power.getPowerState()) === 'power on' ? 'rebooting' : 'power on';
    await driver.power.setPowerState(target);
    await task.update({ power_state: 'power on' });
  }
}

function isVirtualMediaBoot(node: Node): boolean {
  return node.boot_interface.includes('virtual-media') || node.boot_interface === 'redfish-https';
}

/** UEFI unless the node says legacy BIOS, in Ironic's places for it. */
function bootModeOf(node: Node): BootMode {
  const fromInstance = (node.instance_info.capabilities as JsonObject | undefined)?.boot_mode;
  const caps = typeof node.properties.capabilities === 'string' ? node.properties.capabilities : '';
  const fromProps = /(?:^|,)boot_mode:(\w+)/.exec(caps)?.[1];
  const mode = String(fromInstance ?? fromProps ?? 'uefi');
  return mode === 'bios' || mode === 'legacy' ? 'bios' : 'uefi';
}

function failureMessage(state: ProvisionState, node: Node, err: unknown): string {
  const what = err instanceof Error ? err.message : String(err);
  if (err instanceof StepFailure || err instanceof UnsupportedOperation) return what;
  const verb: Partial<Record<ProvisionState, string>> = {
    verifying: 'Failed to verify the BMC',
    inspecting: 'Failed to inspect the hardware',
    cleaning: 'Cleaning failed',
    deploying: 'Failed to boot the agent for deployment',
    deleting: 'Failed to tear down',
    adopting: 'Failed to adopt',
  };
  return `${verb[state] ?? 'Step failed'} for node ${node.uuid}: ${what}`;
}
