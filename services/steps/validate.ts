import type { JsonObject, Node } from '../nodes/index.js';
import { describeStep, offeredSteps, reservedStep, type StepDefinition, type StepFlow } from './catalog.js';

/** The longest pause a `wait` step may ask for (Ironic's max_conductor_wait_step_seconds). */
export const MAX_WAIT_STEP_SECONDS = 30;

/**
 * What is wrong with the steps a user asked for on `node`, in Ironic's words
 * (`_validate_user_steps`), joined as Ironic joins them; null when all can
 * run. Checked before the request is accepted, so nothing runs of a list
 * that cannot finish.
 */
export function userStepsProblem(
  node: Node,
  steps: readonly JsonObject[],
  flow: StepFlow,
  disableRamdisk = false,
): string | null {
  const offered = offeredSteps(node, flow);
  const errors: string[] = [];
  for (const step of steps) errors.push(...stepErrors(node, step, flow, offered, disableRamdisk));
  return errors.length > 0 ? errors.join('; ') : null;
}

/** The driver's definition of a user step, with the fields a user does not set (priority, abortable) taken from it. */
export function findStep(node: Node, step: JsonObject, flow: StepFlow): StepDefinition | null {
  return offeredSteps(node, flow).find((s) => s.interface === step.interface && s.step === step.step) ?? null;
}

function stepErrors(
  node: Node,
  step: JsonObject,
  flow: StepFlow,
  offered: StepDefinition[],
  disableRamdisk: boolean,
): string[] {
  const raw = step.args ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return [`${flow} step ${describeStep(step)} has args that are not a dictionary`];
  }
  const args = raw as JsonObject;
  const reserved = reservedStep(step);
  if (reserved !== null) return reservedErrors(node, step, flow, reserved, args);
  const found = offered.find((s) => s.interface === step.interface && s.step === step.step);
  if (found === undefined) return [`node does not support this ${flow} step: ${describeStep(step)}`];
  const errors: string[] = [];
  const unexpected = Object.keys(args).filter((a) => !(a in found.argsinfo));
  if (unexpected.length > 0) {
    errors.push(`${flow} step ${describeStep(step)} has these unexpected arguments: ${unexpected.join(', ')}`);
  }
  const missing = Object.entries(found.argsinfo)
    .filter(([name, info]) => info.required && !(name in args))
    .map(([name, info]) => `${name} (${info.description})`);
  if (missing.length > 0) {
    errors.push(`${flow} step ${describeStep(step)} is missing these required arguments: ${missing.join(', ')}`);
  }
  if (disableRamdisk && found.requiresRamdisk)
    errors.push(`${flow} step ${describeStep(step)} requires booting a ramdisk`);
  return errors;
}

function reservedErrors(node: Node, step: JsonObject, flow: StepFlow, reserved: string, args: JsonObject): string[] {
  if (reserved === 'power_off' && node.disable_power_off) {
    return [`${flow} step ${describeStep(step)} powers the node off, and node ${node.uuid} has disable_power_off set`];
  }
  if (reserved !== 'wait') return [];
  // A wait with no time ends at the agent's next heartbeat: with no agent, nothing would end it.
  const seconds = args.seconds;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
    return [`${flow} step ${describeStep(step)} needs args.seconds: a whole number of seconds to wait`];
  }
  return [];
}
