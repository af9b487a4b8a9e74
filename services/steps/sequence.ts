import type { JsonObject, Node, NodeChanges, ProvisionEvent } from '../nodes/index.js';
import { reservedStep, type ReservedStep } from './catalog.js';
import { MAX_WAIT_STEP_SECONDS } from './validate.js';

/** The node under its lock, as the conductor hands it over (its NodeTask). */
export interface StepTask {
  readonly node: Node;
  fire(event: ProvisionEvent, changes?: NodeChanges): Promise<void>;
  update(changes: NodeChanges): Promise<void>;
}

/** Where a clean or service sequence keeps its steps and progress on the node. */
export interface SequenceKeys {
  /** driver_internal_info: the steps to run, in order. */
  steps: 'clean_steps' | 'service_steps' | 'deploy_steps';
  /** driver_internal_info: the index of the step to run next. */
  index: 'clean_step_index' | 'service_step_index' | 'deploy_step_index';
  /** The node's field naming the step running now. */
  current: 'clean_step' | 'service_step' | 'deploy_step';
}

export const CLEAN_KEYS: SequenceKeys = { steps: 'clean_steps', index: 'clean_step_index', current: 'clean_step' };
export const DEPLOY_KEYS: SequenceKeys = { steps: 'deploy_steps', index: 'deploy_step_index', current: 'deploy_step' };
export const SERVICE_KEYS: SequenceKeys = {
  steps: 'service_steps',
  index: 'service_step_index',
  current: 'service_step',
};

/** What a flow does with each kind of step; the sequence only orders them. */
export interface SequenceHooks {
  /** Whether the agent, not the BMC, runs this step. */
  inBand(step: JsonObject): boolean;
  /** Hands an in-band step to the agent (booting it first if needed); the node then waits. */
  startInBand(step: JsonObject, index: number): Promise<void>;
  /** Runs a step through the BMC; returns what it changes on the node. */
  runOutOfBand(step: JsonObject): Promise<NodeChanges>;
  power(step: Exclude<ReservedStep, 'hold' | 'wait'>): Promise<void>;
  /** Called before a `wait` step is shortened to the longest allowed. */
  note(message: string): Promise<void>;
}

export type SequenceOutcome = 'done' | 'paused';

/**
 * Runs `steps` from the recorded index, in order: reserved steps (power,
 * hold, wait) here, out-of-band ones through the BMC, and in-band ones by
 * handing them to the agent, which pauses the sequence until it reports.
 * A `hold` pauses it until `unhold`, which resumes at the next step.
 */
export async function runSequence(
  task: StepTask,
  keys: SequenceKeys,
  steps: readonly JsonObject[],
  hooks: SequenceHooks,
): Promise<SequenceOutcome> {
  for (let index = Number(task.node.driver_internal_info[keys.index] ?? 0); index < steps.length; index++) {
    const step = steps[index]!;
    await task.update(progress(task, keys, step, index));
    const reserved = reservedStep(step);
    if (reserved === 'hold') {
      await task.fire('hold', { driver_internal_info: { ...task.node.driver_internal_info, [keys.index]: index + 1 } });
      return 'paused';
    }
    if (reserved === 'wait') {
      await pause(Number((step.args as JsonObject | undefined)?.seconds ?? 0), hooks);
      continue;
    }
    if (reserved !== null) {
      await hooks.power(reserved);
      continue;
    }
    if (hooks.inBand(step)) {
      await hooks.startInBand(step, index);
      return 'paused';
    }
    const changes = await hooks.runOutOfBand(step);
    if (Object.keys(changes).length > 0) await task.update(changes);
  }
  return 'done';
}

function progress(task: StepTask, keys: SequenceKeys, step: JsonObject, index: number): NodeChanges {
  return { [keys.current]: step, driver_internal_info: { ...task.node.driver_internal_info, [keys.index]: index } };
}

async function pause(seconds: number, hooks: SequenceHooks): Promise<void> {
  if (seconds > MAX_WAIT_STEP_SECONDS) {
    await hooks.note(
      `A wait time exceeding the configured maximum has been requested. Holding for ${MAX_WAIT_STEP_SECONDS}, got ${seconds}.`,
    );
  }
  await new Promise((r) => setTimeout(r, Math.min(seconds, MAX_WAIT_STEP_SECONDS) * 1000));
}
