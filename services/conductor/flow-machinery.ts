import type { BmcDriver, PowerTarget } from '../../bmc-drivers/index.js';
import { type AgentClient, agentSession, withoutSession, withoutSessionKeepingProgress } from '../agent/index.js';
import type { BiosSettingsCache } from '../bios/index.js';
import { bootInterfaceOf, type AgentIsoSource, type AgentWork } from '../drivers/index.js';
import type { NodeHistory } from '../events/index.js';
import type { FirmwareCache } from '../firmware/index.js';
import type { Node, PowerState } from '../nodes/index.js';
import {
  describeAgentError,
  during,
  runOutOfBandStep,
  StepFailure,
  type FlowContext,
  type OutOfBandLimits,
  type ReservedStep,
  type SequenceHooks,
  type StepTask,
} from '../steps/index.js';
import type { StepPrerequisites } from './step-prerequisites.js';

export interface FlowMachineryDeps {
  agent: AgentClient;
  history: NodeHistory;
  firmware: FirmwareCache;
  bios: BiosSettingsCache;
  outOfBand: OutOfBandLimits;
  prerequisites: StepPrerequisites;
  /** Agent ISOs built for nodes that boot from an ISO and name none. */
  agentIsos: AgentIsoSource;
}

/** The conductor's side of every flow: booting the agent, reading its commands, the BMC's share of steps. */
export class FlowMachinery implements FlowContext {
  readonly agent: AgentClient;

  constructor(private readonly deps: FlowMachineryDeps) {
    this.agent = deps.agent;
  }

  async mayStart(node: Node, work: AgentWork): Promise<void> {
    const problem = await this.deps.prerequisites.problem(node, work);
    if (problem !== null) throw new StepFailure(problem);
  }

  async bootAgent(task: StepTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    await bootInterfaceOf(node).bootAgent(node, driver, this.deps.agentIsos);
    const target: PowerTarget = (await driver.power.getPowerState()) === 'power on' ? 'rebooting' : 'power on';
    // A fresh agent is coming: forget the last one, so its token and callback cannot be reused.
    await task.update({ driver_internal_info: withoutSession(node) });
    await driver.power.setPowerState(target);
    await task.update({ power_state: 'power on' });
  }

  /**
   * As Ironic's virtual media boot does: an installed OS never sees the
   * deploy ISO as a CD and a later boot cannot fall back into the agent.
   */
  async ejectAgentMedia(node: Node, driver: BmcDriver): Promise<void> {
    await bootInterfaceOf(node).ejectAgent(node, driver, this.deps.agentIsos);
  }

  async powerOffUnlessDisabled(node: Node, driver: BmcDriver): Promise<PowerState> {
    if (node.disable_power_off) return driver.power.getPowerState();
    await driver.power.setPowerState('power off');
    return 'power off';
  }

  async reboot(driver: BmcDriver): Promise<PowerState> {
    await driver.power.setPowerState('rebooting');
    return 'power on';
  }

  async agentStepDone(task: StepTask, idKey: 'clean_command_id' | 'deploy_command_id', step: string): Promise<boolean> {
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

  sequenceHooks(task: StepTask, driver: BmcDriver): Pick<SequenceHooks, 'runOutOfBand' | 'power' | 'note'> {
    return {
      runOutOfBand: async (step) => {
        const changes = await runOutOfBandStep(step, driver, task.node, this.deps.outOfBand);
        if (step.interface === 'firmware') await this.refreshFirmware(task.node, driver);
        // BIOS settings apply with a reboot, which ends a running agent too.
        if (step.interface !== 'bios') return changes;
        await this.refreshBios(task.node, driver);
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
      note: (message) => this.warn(task.node, message),
    };
  }

  /** Ironic caches firmware components as it goes; a cache that cannot be refreshed never fails the step. */
  async refreshFirmware(node: Node, driver: BmcDriver): Promise<void> {
    await this.deps.firmware
      .refresh(node, driver)
      .catch((err: unknown) =>
        this.warn(node, `Firmware components were not refreshed: ${err instanceof Error ? err.message : String(err)}`),
      );
  }

  /** Ironic caches BIOS settings after a BIOS step, at verify and when cleaning ends; a failed refresh is only noted. */
  async refreshBios(node: Node, driver: BmcDriver): Promise<void> {
    await this.deps.bios
      .refresh(node, driver)
      .catch((err: unknown) =>
        this.warn(node, `BIOS settings were not refreshed: ${err instanceof Error ? err.message : String(err)}`),
      );
  }

  async warn(node: Node, message: string): Promise<void> {
    await this.deps.history.record(node.id, { severity: 'WARNING', event_type: 'provisioning', event: message });
  }
}
