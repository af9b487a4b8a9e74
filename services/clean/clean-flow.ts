import type { BmcDriver } from '../../bmc-drivers/index.js';
import { agentNodeView, agentSession, withoutSession } from '../agent/index.js';
import type { JsonObject, Node, PowerState } from '../nodes/index.js';
import {
  CLEAN_KEYS,
  findStep,
  runSequence,
  stepLabel,
  type FlowContext,
  type FlowSteps,
  type StepTask,
} from '../steps/index.js';

/** Ironic's automated clean step: the agent erases partition tables and filesystem signatures. */
const METADATA_ERASE: JsonObject = { interface: 'deploy', step: 'erase_devices_metadata', priority: 99, args: {} };

/**
 * Cleaning on Redfish and IPMI hardware. Manual cleaning runs the requested
 * steps; automated cleaning runs the agent's metadata erase. Out-of-band
 * steps (BIOS settings, firmware updates, RAID) run through the BMC;
 * in-band ones are sent to the ramdisk agent, booted on first need, and the
 * node waits (`clean wait`) between the agent's heartbeats until each
 * finishes.
 */
export class CleanFlow {
  readonly steps: FlowSteps = { cleaning: (t, d) => this.clean(t, d) };

  constructor(
    private readonly ctx: FlowContext,
    /** Whether automated cleaning is on for nodes that leave `automated_clean` unset. */
    private readonly automatedClean: boolean,
  ) {}

  private async clean(task: StepTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    const manual = node.target_provision_state === 'manageable';
    const steps = manual
      ? ((node.driver_internal_info.clean_steps as JsonObject[] | undefined) ?? [])
      : this.automatedSteps(node);
    const inBand = (step: JsonObject) => findStep(task.node, step, 'clean')?.requiresRamdisk === true;
    if (node.driver_internal_info.clean_phase === 'running') {
      if (!(await this.ctx.agentStepDone(task, 'clean_command_id', `Clean step ${stepLabel(node.clean_step)}`))) return;
      const finished = Number(task.node.driver_internal_info.clean_step_index ?? 0);
      await task.update({
        driver_internal_info: { ...task.node.driver_internal_info, clean_step_index: finished + 1 },
      });
    }
    // Ironic prepares the ramdisk before any step runs: no out-of-band step is applied for a clean that cannot finish.
    const next = Number(task.node.driver_internal_info.clean_step_index ?? 0);
    if (agentSession(task.node) === null && steps.slice(next).some(inBand)) await this.ctx.mayStart(node, 'clean');
    const outcome = await runSequence(task, CLEAN_KEYS, steps, {
      ...this.ctx.sequenceHooks(task, driver),
      inBand,
      startInBand: (step, index) => this.startCleanStep(task, driver, step, index),
    });
    if (outcome === 'paused') return;
    let power: PowerState | null = null;
    // Ironic's tear_down_cleaning, skipped when the ramdisk was not to be booted (disable_ramdisk).
    if (steps.length > 0 && task.node.driver_internal_info.clean_disable_ramdisk !== true) {
      // The agent's ISO leaves first, so a node that must stay on reboots out of the ramdisk, not back into it.
      await this.ctx.ejectAgentMedia(task.node, driver);
      power = task.node.disable_power_off
        ? await this.ctx.reboot(driver)
        : await this.ctx.powerOffUnlessDisabled(task.node, driver);
    }
    // Ironic's node_update_cache when cleaning ends; automated cleaning switched off skips it, as there.
    if (manual || steps.length > 0) await this.ctx.refreshBios(task.node, driver);
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
  private async startCleanStep(task: StepTask, driver: BmcDriver, step: JsonObject, index: number): Promise<void> {
    const session = agentSession(task.node);
    if (session === null) {
      await this.ctx.bootAgent(task, driver);
      await task.fire('wait', {
        driver_internal_info: { ...task.node.driver_internal_info, clean_step_index: index },
      });
      return;
    }
    const command = await this.ctx.agent.execute(session.url, session.token, 'clean.execute_clean_step', {
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

  private automatedSteps(node: Node): JsonObject[] {
    return (node.automated_clean ?? this.automatedClean) ? [METADATA_ERASE] : [];
  }
}
