import {
  InvalidDriverInfo,
  requireHttpBoot,
  requireInterface,
  type BmcDriver,
  type PowerTarget,
} from '../../bmc-drivers/index.js';
import { type AgentClient, agentSession, withoutSession } from '../agent/index.js';
import type { NodeHistory } from '../events/index.js';
import type { FirmwareCache } from '../firmware/index.js';
import {
  propertiesFromInventory,
  standardPluginData,
  toIronicInventory,
  type InventoryStore,
} from '../inspect/index.js';
import {
  bootModeOf,
  type JsonObject,
  type Node,
  type PowerState,
  type TargetPowerState,
  type ProvisionState,
} from '../nodes/index.js';
import { InvalidParameterValue, type AnvilError } from '../errors.js';
import {
  CLEAN_KEYS,
  deployStepsProblem,
  findStep,
  runOutOfBandStep,
  runSequence,
  SERVICE_KEYS,
  StepFailure,
  userStepsProblem,
  type ReservedStep,
  type SequenceHooks,
} from '../steps/index.js';
import type { DriverCache } from './driver-cache.js';
import type { HardwareRuntime, NodeTask, WorkRequest } from './hardware-runtime.js';
import { DeployFlow, type ConfigDriveEncoder } from './deploy-flow.js';
import { agentNodeView, withoutSessionKeepingProgress } from './node-views.js';
import { RescueFlow, rescueRefusal } from './rescue-flow.js';
import { describeAgentError, during, failureMessage, stepLabel } from './step-wording.js';
import { isUefiHttpBoot, isVirtualMediaBoot, StepPrerequisites, type AgentWork } from './step-prerequisites.js';

/**
 * How long the HEAD request checking a boot file URL may take before the
 * step goes ahead unchecked: a node's lock and a worker are held meanwhile.
 */
const BOOT_FILE_CHECK_TIMEOUT_MS = 3000;

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

type Step = (task: NodeTask, driver: BmcDriver) => Promise<void>;

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
}

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
    deploying: (t, d) => this.deployFlow.deploy(t, d),
    deleting: (t, d) => this.tearDown(t, d),
    adopting: (t, d) => this.adopt(t, d),
    servicing: (t, d) => this.service(t, d),
    rescuing: (t, d) => this.rescueFlow.rescue(t, d),
    unrescuing: (t, d) => this.rescueFlow.unrescue(t, d),
  };

  private readonly prerequisites: StepPrerequisites;
  private readonly rescueFlow: RescueFlow;
  private readonly deployFlow: DeployFlow;

  constructor(private readonly deps: BmcRuntimeDeps) {
    this.prerequisites = new StepPrerequisites({
      bootFilesDir: deps.bootFilesDir,
      headTimeoutMs: BOOT_FILE_CHECK_TIMEOUT_MS,
      pxeMacs: (node) => deps.pxeMacs(node),
    });
    this.rescueFlow = new RescueFlow({
      agent: deps.agent,
      mayStart: (node, work) => this.mayStart(node, work),
      bootRamdisk: (task, driver) => this.bootRamdisk(task, driver),
      bootMode: bootModeOf,
    });
    this.deployFlow = new DeployFlow({
      agent: deps.agent,
      configDrive: deps.configDrive,
      mayStart: (node, work) => this.mayStart(node, work),
      bootRamdisk: (task, driver) => this.bootRamdisk(task, driver),
      agentStepDone: (task, idKey, step) => this.agentStepDone(task, idKey, step),
      ejectAgentMedia: (node, driver) => this.ejectAgentMedia(node, driver),
      sequenceHooks: (task, driver) => this.sequenceHooks(task, driver),
    });
  }

  /**
   * Refused before they are accepted, in Ironic's words, rather than failing
   * later: rescue on a node without the agent's rescue interface or that
   * cannot boot the rescue ramdisk, and steps the node's interfaces do not
   * offer or whose arguments are missing.
   */
  refusal(node: Node, request: WorkRequest): AnvilError | null {
    const { verb } = request;
    if (verb === 'rescue' || verb === 'unrescue') return rescueRefusal(node, request);
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
        return;
      }
      if (task.node.provision_state === state) return;
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
      // In-band inspection: boot the ramdisk, wait for its report (continue_inspection), then power off.
      if (node.driver_internal_info.inspection_reported === true) {
        const power = await this.powerOffUnlessDisabled(node, driver);
        await this.ejectAgentMedia(node, driver);
        await task.fire('done', { power_state: power, driver_internal_info: withoutSession(node) });
        return;
      }
      await this.mayStart(node, 'inspect');
      await this.bootRamdisk(task, driver);
      await task.fire('wait');
      return;
    }
    if (node.inspect_interface.startsWith('no-'))
      throw new StepFailure('Inspection is disabled for this node (inspect_interface no-inspect).');
    const hw = await requireInterface(driver, 'inspect').inspectHardware();
    if (this.deps.options.addPorts === 'all' && hw.nics.length > 0) {
      const skipped = await this.deps.makePorts(
        node,
        hw.nics.map((n) => n.mac),
      );
      for (const mac of skipped) {
        await this.deps.history.record(node.id, {
          severity: 'WARNING',
          event_type: 'provisioning',
          event: `Inspection found NIC ${mac}, which is already a port of another node; no port created`,
        });
      }
    }
    // After the ports: which NIC boots is what the node's ports say, out of band.
    const inventory = toIronicInventory(hw, driver.bmc);
    const plugin_data = standardPluginData(inventory, {}, await this.deps.pxeMacs(node));
    await this.deps.inventory.save(node.id, { inventory, plugin_data });
    await this.refreshFirmware(node, driver);
    await task.fire('done', { properties: { ...node.properties, ...propertiesFromInventory(hw) } });
  }

  /**
   * Manual cleaning runs the requested steps; automated cleaning runs the
   * agent's metadata erase. Out-of-band steps (BIOS settings, firmware
   * updates) run here through the BMC; in-band ones are sent to the ramdisk
   * agent, booted on first need, and the node waits (`clean wait`) between
   * the agent's heartbeats until each finishes.
   */
  private async clean(task: NodeTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    const manual = node.target_provision_state === 'manageable';
    const steps = manual
      ? ((node.driver_internal_info.clean_steps as JsonObject[] | undefined) ?? [])
      : this.automatedSteps(node);
    const inBand = (step: JsonObject) => findStep(task.node, step, 'clean')?.requiresRamdisk === true;
    if (node.driver_internal_info.clean_phase === 'running') {
      if (!(await this.agentStepDone(task, 'clean_command_id', `Clean step ${stepLabel(node.clean_step)}`))) return;
      const finished = Number(task.node.driver_internal_info.clean_step_index ?? 0);
      await task.update({
        driver_internal_info: { ...task.node.driver_internal_info, clean_step_index: finished + 1 },
      });
    }
    // Ironic prepares the ramdisk before any step runs: no out-of-band step is applied for a clean that cannot finish.
    const next = Number(task.node.driver_internal_info.clean_step_index ?? 0);
    if (agentSession(task.node) === null && steps.slice(next).some(inBand)) await this.mayStart(node, 'clean');
    const outcome = await runSequence(task, CLEAN_KEYS, steps, {
      ...this.sequenceHooks(task, driver),
      inBand,
      startInBand: (step, index) => this.startCleanStep(task, driver, step, index),
    });
    if (outcome === 'paused') return;
    let power: PowerState | null = null;
    // Ironic's tear_down_cleaning, skipped when the ramdisk was not to be booted (disable_ramdisk).
    if (steps.length > 0 && task.node.driver_internal_info.clean_disable_ramdisk !== true) {
      // The agent's ISO leaves first, so a node that must stay on reboots out of the ramdisk, not back into it.
      await this.ejectAgentMedia(task.node, driver);
      power = task.node.disable_power_off
        ? await this.reboot(driver)
        : await this.powerOffUnlessDisabled(task.node, driver);
    }
    const {
      clean_steps: _done,
      clean_step_index: _index,
      clean_disable_ramdisk: _ramdisk,
      ...internal
    } = withoutSession(task.node);
    await task.fire(manual ? 'manage' : 'done', {
      clean_step: {},
      driver_internal_info: internal,
      ...(power !== null ? { power_state: power } : {}),
    });
  }

  /** Hands an in-band clean step to the agent, booting it first when none runs yet; the node waits either way. */
  private async startCleanStep(task: NodeTask, driver: BmcDriver, step: JsonObject, index: number): Promise<void> {
    const session = agentSession(task.node);
    if (session === null) {
      await this.bootRamdisk(task, driver);
      await task.fire('wait', {
        driver_internal_info: { ...task.node.driver_internal_info, clean_step_index: index },
      });
      return;
    }
    const command = await this.deps.agent.execute(session.url, session.token, 'clean.execute_clean_step', {
      step,
      node: agentNodeView(task.node),
      ports: [],
      clean_version: {},
    });
    await task.fire('wait', {
      driver_internal_info: {
        ...task.node.driver_internal_info,
        clean_phase: 'running',
        clean_command_id: command.id,
        clean_step_index: index,
      },
    });
  }

  /**
   * Servicing: day-2 changes to an active host, its OS left as it is. The
   * steps Anvil offers for it are all out-of-band (BIOS settings, firmware
   * updates, power), so the ramdisk is never booted; the host comes back
   * `active` running what it ran before.
   */
  private async service(task: NodeTask, driver: BmcDriver): Promise<void> {
    const steps = (task.node.driver_internal_info.service_steps as JsonObject[] | undefined) ?? [];
    const outcome = await runSequence(task, SERVICE_KEYS, steps, {
      ...this.sequenceHooks(task, driver),
      inBand: () => false,
      startInBand: async (step) => {
        throw new StepFailure(`Service step ${stepLabel(step)} needs the ramdisk, which servicing does not boot.`);
      },
    });
    if (outcome === 'paused') return;
    const {
      service_steps: _steps,
      service_step_index: _index,
      service_disable_ramdisk: _ramdisk,
      ...internal
    } = task.node.driver_internal_info;
    await task.fire('done', { service_step: {}, driver_internal_info: internal });
  }

  /** What clean and service sequences share: out-of-band steps and the reserved power steps, through the BMC. */
  private sequenceHooks(task: NodeTask, driver: BmcDriver): Pick<SequenceHooks, 'runOutOfBand' | 'power' | 'note'> {
    return {
      runOutOfBand: async (step) => {
        const changes = await runOutOfBandStep(step, driver, task.node);
        if (step.interface === 'firmware') await this.refreshFirmware(task.node, driver);
        // BIOS settings apply with a reboot, which ends a running agent too.
        if (step.interface !== 'bios') return changes;
        return { ...changes, driver_internal_info: withoutSessionKeepingProgress(task.node) };
      },
      power: async (step: Exclude<ReservedStep, 'hold' | 'wait'>) => {
        const target = step === 'power_on' ? 'power on' : step === 'power_off' ? 'power off' : 'rebooting';
        await driver.power.setPowerState(target);
        // A power change ends a running agent: the next in-band step boots a new one.
        await task.update({
          power_state: target === 'power off' ? 'power off' : 'power on',
          driver_internal_info: withoutSessionKeepingProgress(task.node),
        });
      },
      note: (message) =>
        this.deps.history.record(task.node.id, { severity: 'WARNING', event_type: 'provisioning', event: message }),
    };
  }

  /**
   * Reads an agent command's outcome: true when it succeeded (the session's
   * phase is cleared), false when it still runs (the node waits again);
   * a failure throws with the agent's own message.
   */
  private async agentStepDone(
    task: NodeTask,
    idKey: 'clean_command_id' | 'deploy_command_id',
    step: string,
  ): Promise<boolean> {
    const node = task.node;
    const session = agentSession(node);
    const id = node.driver_internal_info[idKey];
    if (session === null || typeof id !== 'string')
      throw new StepFailure(
        `${step} on node ${node.uuid}: lost track of the agent's command, no agent session is recorded.`,
      );
    const command = await during(`${step} on node ${node.uuid}: could not read the agent's progress`, () =>
      this.deps.agent.command(session.url, session.token, id),
    );
    if (command.command_status === 'RUNNING') {
      await task.fire('wait');
      return false;
    }
    if (command.command_status === 'FAILED') {
      // Ironic's words: the step by name (not the agent's command, execute_*_step), then the agent's own reason.
      throw new StepFailure(`${step} failed on node ${node.uuid}: ${describeAgentError(command.command_error)}`);
    }
    const phaseKey = idKey === 'clean_command_id' ? 'clean_phase' : 'deploy_phase';
    const { [idKey]: _id, [phaseKey]: _phase, ...internal } = task.node.driver_internal_info;
    await task.update({ driver_internal_info: internal });
    return true;
  }

  private automatedSteps(node: Node): JsonObject[] {
    const enabled = node.automated_clean ?? this.deps.options.automatedClean;
    return enabled ? [{ interface: 'deploy', step: 'erase_devices_metadata', priority: 99, args: {} }] : [];
  }

  private async tearDown(task: NodeTask, driver: BmcDriver): Promise<void> {
    const power = await this.powerOffUnlessDisabled(task.node, driver);
    if (isVirtualMediaBoot(task.node)) await requireInterface(driver, 'virtualMedia').eject();
    await task.fire('clean', { power_state: power });
  }

  /** Ironic caches firmware components as it goes; a cache that cannot be refreshed never fails the step. */
  private async refreshFirmware(node: Node, driver: BmcDriver): Promise<void> {
    await this.deps.firmware.refresh(node, driver).catch((err: unknown) =>
      this.deps.history.record(node.id, {
        severity: 'WARNING',
        event_type: 'provisioning',
        event: `Firmware components were not refreshed: ${err instanceof Error ? err.message : String(err)}`,
      }),
    );
  }

  /** Powers the machine off, except a node with disable_power_off, which is left running; the state it is left in. */
  private async powerOffUnlessDisabled(node: Node, driver: BmcDriver): Promise<PowerState> {
    if (node.disable_power_off) return driver.power.getPowerState();
    await driver.power.setPowerState('power off');
    return 'power off';
  }

  private async reboot(driver: BmcDriver): Promise<PowerState> {
    await driver.power.setPowerState('rebooting');
    return 'power on';
  }

  /**
   * The agent's work is over: its ISO leaves the virtual drive, as Ironic's
   * virtual media boot does, so an installed OS never sees the deploy ISO
   * as a CD and a later boot cannot fall back into the agent.
   */
  private async ejectAgentMedia(node: Node, driver: BmcDriver): Promise<void> {
    if (isVirtualMediaBoot(node)) await requireInterface(driver, 'virtualMedia').eject();
  }

  /** Fails the step, before the machine is touched, when what it boots or hands the agent is missing or invalid. */
  private async mayStart(node: Node, work: AgentWork): Promise<void> {
    const problem = await this.prerequisites.problem(node, work);
    if (problem !== null) throw new StepFailure(problem);
  }

  /** Next boot from the network (or the agent ISO over virtual media or UEFI HTTP), then (re)start the machine. */
  private async bootRamdisk(task: NodeTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    const mode = bootModeOf(node);
    if (isVirtualMediaBoot(node)) {
      const iso = node.driver_info.deploy_iso;
      if (typeof iso !== 'string' || iso === '') {
        throw new StepFailure('Virtual media boot needs driver_info/deploy_iso: the URL of the agent ISO.');
      }
      await requireInterface(driver, 'virtualMedia').insert(iso);
      await driver.management.setBootDevice('cdrom', { persistent: false, mode });
    } else if (isUefiHttpBoot(node)) {
      const iso = node.driver_info.deploy_iso;
      if (typeof iso !== 'string' || iso === '') {
        throw new StepFailure('UEFI HTTP boot needs driver_info/deploy_iso: the URL of the agent ISO.');
      }
      await requireHttpBoot(driver)(iso, { persistent: false });
    } else {
      await driver.management.setBootDevice('pxe', { persistent: false, mode });
    }
    const target: PowerTarget = (await driver.power.getPowerState()) === 'power on' ? 'rebooting' : 'power on';
    // A fresh agent is coming: forget the last one, so its token and callback cannot be reused.
    await task.update({ driver_internal_info: withoutSession(node) });
    await driver.power.setPowerState(target);
    await task.update({ power_state: 'power on' });
  }
}
