import type { BmcDriver } from '../../bmc-drivers/index.js';
import type { AgentClient } from '../agent/index.js';
import type { AgentWork } from '../drivers/index.js';
import type { Node, PowerState, ProvisionState } from '../nodes/index.js';
import type { SequenceHooks, StepTask } from './sequence.js';

/**
 * What every provisioning flow (inspect, clean, deploy, service, rescue)
 * borrows from the conductor, which boots every agent and reads every
 * command the same way. Each flow owns its steps and states; this is the
 * machinery they share.
 */
export interface FlowContext {
  agent: AgentClient;
  /** Fails the step, before the machine is touched, when what it boots or hands the agent is missing or invalid. */
  mayStart(node: Node, work: AgentWork): Promise<void>;
  /** Points the next boot at the agent through the node's boot interface, then (re)starts the machine. */
  bootAgent(task: StepTask, driver: BmcDriver): Promise<void>;
  /** The agent's work is over: what it booted from is taken away (a virtual CD is ejected). */
  ejectAgentMedia(node: Node, driver: BmcDriver): Promise<void>;
  /** Powers the machine off, except a node with disable_power_off, which is left running; the state it is left in. */
  powerOffUnlessDisabled(node: Node, driver: BmcDriver): Promise<PowerState>;
  reboot(driver: BmcDriver): Promise<PowerState>;
  /** True when the agent's command succeeded; false while it runs (the node waits again); throws on failure. */
  agentStepDone(task: StepTask, idKey: 'clean_command_id' | 'deploy_command_id', step: string): Promise<boolean>;
  /** Out-of-band and reserved steps, through the BMC, as clean, service and deploy run them. */
  sequenceHooks(task: StepTask, driver: BmcDriver): Pick<SequenceHooks, 'runOutOfBand' | 'power' | 'note'>;
  /** Re-reads the BMC's firmware components into the cache; a failure is only noted. */
  refreshFirmware(node: Node, driver: BmcDriver): Promise<void>;
  /** Re-reads the BMC's BIOS settings and registry into the cache; a failure is only noted. */
  refreshBios(node: Node, driver: BmcDriver): Promise<void>;
  /** A warning in the node's history. */
  warn(node: Node, message: string): Promise<void>;
}

/** A flow's work in the provision states it owns: each call runs the state's step once. */
export type FlowSteps = Partial<Record<ProvisionState, (task: StepTask, driver: BmcDriver) => Promise<void>>>;
