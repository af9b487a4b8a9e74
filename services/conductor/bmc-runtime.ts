import { InvalidDriverInfo, type BmcDriver } from '../../bmc-drivers/index.js';
import type { AgentClient } from '../agent/index.js';
import type { BiosSettingsCache } from '../bios/index.js';
import type { AgentImageDefaults } from '../boot/index.js';
import type { AgentIsoSource } from '../drivers/index.js';
import { CleanFlow } from '../clean/index.js';
import { DeployFlow, type ConfigDriveEncoder } from '../deploy/index.js';
import type { NodeHistory } from '../events/index.js';
import type { FirmwareCache } from '../firmware/index.js';
import { InspectFlow, type AddPorts, type InventoryStore, type PortMaker } from '../inspect/index.js';
import type { InspectionRules } from '../inspection-rules/index.js';
import type { Node, PowerState, ProvisionState, TargetPowerState } from '../nodes/index.js';
import { InvalidParameterValue, type AnvilError } from '../errors.js';
import { RescueFlow, rescueRefusal } from '../rescue/index.js';
import { ServiceFlow } from '../service/index.js';
import {
  deployStepsProblem,
  failureMessage,
  StepFailure,
  userStepsProblem,
  type FlowSteps,
  type StepTask,
} from '../steps/index.js';
import type { DriverCache } from './driver-cache.js';
import { FlowMachinery } from './flow-machinery.js';
import type { HardwareRuntime, NodeTask, WorkRequest } from './hardware-runtime.js';
import { StepPrerequisites } from './step-prerequisites.js';

/**
 * How long the HEAD request checking a boot file URL may take before the
 * step goes ahead unchecked: a node's lock and a worker are held meanwhile.
 */
const BOOT_FILE_CHECK_TIMEOUT_MS = 3000;

/** States whose failure may leave the agent's boot media in the machine. */
const MEDIA_STATES: readonly ProvisionState[] = ['inspecting', 'cleaning', 'deploying', 'rescuing', 'unrescuing'];

export interface BmcRuntimeOptions {
  /** Default wait for a power change to show, when the request names none. */
  powerTimeoutSeconds: number;
  /** How long BIOS settings staged by a step may take to apply after its reboot. */
  biosApplyTimeoutSeconds: number;
  /** Whether automated cleaning is on for nodes that leave `automated_clean` unset. */
  automatedClean: boolean;
  addPorts: AddPorts;
}

export interface BmcRuntimeDeps {
  drivers: DriverCache;
  inventory: InventoryStore;
  makePorts: PortMaker;
  history: NodeHistory;
  agent: AgentClient;
  configDrive: ConfigDriveEncoder;
  options: BmcRuntimeOptions;
  /**
   * The boot HTTP server's `/boot-files/` directory when this process runs
   * that server (`--role all`), so a deploy_kernel or deploy_ramdisk given as
   * a path is checked there before the machine boots; absent or null when
   * another process serves boot files and the path cannot be seen from here.
   */
  bootFilesDir: string | null;
  /** The MACs of a node's ports that may network-boot. */
  pxeMacs(node: Node): Promise<string[]>;
  /** Firmware components with their history, refreshed when inspection or a firmware update reads the BMC. */
  firmware: FirmwareCache;
  /** BIOS settings, refreshed when verifying, cleaning or a BIOS step may have changed them. */
  bios: BiosSettingsCache;
  /** The configured agent images, for nodes whose driver_info names none. */
  agentImages: AgentImageDefaults;
  /** Applied to each node's inspection data. */
  inspectionRules: Pick<InspectionRules, 'apply'>;
  /** Agent ISOs built for nodes that boot from an ISO and name none. */
  agentIsos: AgentIsoSource;
}

/**
 * Schedules Redfish and IPMI nodes' work: each call to `advance` runs the
 * step of the flow that owns the node's provision state (inspect, clean,
 * deploy, service, rescue), which ends in an event: done, wait (for the
 * ramdisk agent), or fail.
 */
export class BmcRuntime implements HardwareRuntime {
  private readonly steps: FlowSteps;
  private readonly ctx: FlowMachinery;

  constructor(private readonly deps: BmcRuntimeDeps) {
    const ctx = (this.ctx = new FlowMachinery({
      agent: deps.agent,
      history: deps.history,
      firmware: deps.firmware,
      bios: deps.bios,
      outOfBand: { biosApplyTimeoutMs: deps.options.biosApplyTimeoutSeconds * 1000 },
      prerequisites: new StepPrerequisites({
        bootFilesDir: deps.bootFilesDir,
        headTimeoutMs: BOOT_FILE_CHECK_TIMEOUT_MS,
        pxeMacs: (node) => deps.pxeMacs(node),
        env: { agentImages: deps.agentImages },
        agentIsos: deps.agentIsos,
      }),
      agentIsos: deps.agentIsos,
    }));
    const flows = [
      new InspectFlow(ctx, {
        inventory: deps.inventory,
        makePorts: deps.makePorts,
        addPorts: deps.options.addPorts,
        pxeMacs: (node) => deps.pxeMacs(node),
        rules: deps.inspectionRules,
      }),
      new CleanFlow(ctx, deps.options.automatedClean),
      new DeployFlow(ctx, deps.configDrive),
      new ServiceFlow(ctx),
      new RescueFlow(ctx),
    ];
    // Verifying and adopting: the credentials work and the power state can be read.
    const readPower = (t: StepTask, d: BmcDriver) => this.readPower(t, d);
    // Ironic's verify reads the power state, then refreshes the BIOS settings cache (node_update_cache).
    const verify = async (t: StepTask, d: BmcDriver) => {
      const power_state = await d.power.getPowerState();
      await ctx.refreshBios(t.node, d);
      await t.fire('done', { power_state });
    };
    this.steps = { verifying: verify, adopting: readPower };
    for (const flow of flows) Object.assign(this.steps, flow.steps);
  }

  /**
   * Refused before they are accepted, in Ironic's words, rather than failing
   * later: rescue on a node without the agent's rescue interface or that
   * cannot boot the rescue ramdisk, and steps the node's interfaces do not
   * offer or whose arguments are missing.
   */
  refusal(node: Node, request: WorkRequest): AnvilError | null {
    const { verb } = request;
    if (verb === 'rescue' || verb === 'unrescue')
      return rescueRefusal(node, request, { agentImages: this.deps.agentImages });
    if (
      (verb === 'deploy' || verb === 'rebuild') &&
      request.configdrive !== undefined &&
      node.deploy_interface === 'ramdisk'
    ) {
      // There is no disk to write it to, and a second virtual drive is not something every BMC has.
      return new InvalidParameterValue(
        `Node ${node.uuid} deploys with the ramdisk deploy interface, which cannot deliver a config drive.`,
      );
    }
    if ((verb === 'deploy' || verb === 'rebuild') && request.deploySteps !== undefined) {
      const problem = deployStepsProblem(node, request.deploySteps);
      if (problem !== null) return new InvalidParameterValue(problem);
    }
    if (verb === 'clean' && request.cleanSteps !== undefined) {
      const problem = userStepsProblem(node, request.cleanSteps, 'clean', request.disableRamdisk === true);
      if (problem !== null) return new InvalidParameterValue(problem);
    }
    if (verb === 'service' && request.serviceSteps !== undefined) {
      const problem = userStepsProblem(node, request.serviceSteps, 'service');
      if (problem !== null) return new InvalidParameterValue(problem);
    }
    return null;
  }

  async advance(task: NodeTask): Promise<void> {
    // Bounded: the longest chain here (deleting → cleaning → available) is two steps.
    for (let i = 0; i < 4; i++) {
      const state = task.node.provision_state;
      const step = this.steps[state];
      if (!step) return;
      try {
        await step(task, this.driverFor(task.node));
      } catch (err) {
        await task.fire('fail', { last_error: failureMessage(state, task.node, err) });
        if (MEDIA_STATES.includes(state)) await this.releaseAgentMedia(task.node);
        return;
      }
      if (task.node.provision_state === state) return;
    }
  }

  /**
   * After a failure in the agent's states, as Ironic's error handlers call
   * clean_up_ramdisk: what the agent booted from leaves the machine (a
   * virtual CD is ejected) and a built ISO the boot server. Best effort:
   * a BMC that does not answer is noted, never fails anything further.
   */
  async releaseAgentMedia(node: Node): Promise<void> {
    try {
      await this.ctx.ejectAgentMedia(node, this.driverFor(node));
    } catch (err) {
      await this.ctx.warn(
        node,
        `The agent's boot media could not be removed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  async setPower(task: NodeTask, target: TargetPowerState, timeoutSeconds: number | null): Promise<PowerState> {
    const driver = this.driverFor(task.node);
    await driver.power.setPowerState(target, {
      timeoutMs: (timeoutSeconds ?? this.deps.options.powerTimeoutSeconds) * 1000,
    });
    return target === 'power off' || target === 'soft power off' ? 'power off' : 'power on';
  }

  private driverFor(node: Node): BmcDriver {
    try {
      return this.deps.drivers.for(node);
    } catch (err) {
      if (err instanceof InvalidDriverInfo) throw new StepFailure(`Cannot reach the BMC: ${err.message}`);
      throw err;
    }
  }

  private async readPower(task: StepTask, driver: BmcDriver): Promise<void> {
    await task.fire('done', { power_state: await driver.power.getPowerState() });
  }
}
