import type { JsonObject, Node } from '../nodes/index.js';
import { describeStep, reservedStep } from './catalog.js';
import { findStep, userStepsProblem } from './validate.js';

/**
 * The deploy interface's own steps the conductor carries out through the
 * BMC, at Ironic's priorities: the instance's boot device set, the agent
 * powered off and its media gone, the instance powered on. A user's step
 * runs between them by its priority.
 */
const CONDUCTOR_CORE_STEPS: readonly JsonObject[] = [
  { interface: 'deploy', step: 'prepare_instance_boot', priority: 60, args: {} },
  { interface: 'deploy', step: 'tear_down_agent', priority: 40, args: {} },
  { interface: 'deploy', step: 'boot_instance', priority: 20, args: {} },
];

/** A core deploy step the conductor runs, not the agent. */
export type ConductorDeployStep = 'prepare_instance_boot' | 'tear_down_agent' | 'boot_instance';

export function conductorDeployStep(step: JsonObject): ConductorDeployStep | null {
  if (step.interface !== 'deploy') return null;
  return (CONDUCTOR_CORE_STEPS.find((c) => c.step === step.step)?.step as ConductorDeployStep | undefined) ?? null;
}

/**
 * The core steps of each agent deploy interface: `direct` has the agent
 * write the image (Ironic's write_image, priority 80); `custom-agent` runs
 * only what the deploy asks for; both end with the conductor's part.
 */
const CORE_STEPS: Record<string, readonly JsonObject[]> = {
  direct: [{ interface: 'deploy', step: 'write_image', priority: 80, args: {} }, ...CONDUCTOR_CORE_STEPS],
  'custom-agent': CONDUCTOR_CORE_STEPS,
};

export const AGENT_DEPLOY_INTERFACES = Object.keys(CORE_STEPS);

const same = (a: JsonObject, b: JsonObject) => a.interface === b.interface && a.step === b.step;

/**
 * What is wrong with a deploy's `deploy_steps` before the agent is booted:
 * each needs a priority (0 disables a step), reserved and out-of-band steps
 * must be offered with their arguments; in-band ones (the deploy
 * interface's) are checked against the agent once it runs. Null when none.
 */
export function deployStepsProblem(node: Node, steps: readonly JsonObject[]): string | null {
  const errors: string[] = [];
  const outOfBand: JsonObject[] = [];
  for (const step of steps) {
    const priority = step.priority;
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0) {
      errors.push(`deploy step ${describeStep(step)} needs a priority: a whole number, 0 to disable the step`);
    } else if (step.interface !== 'deploy' || reservedStep(step) !== null) {
      outOfBand.push(step);
    }
  }
  const problem = userStepsProblem(node, outOfBand, 'deploy');
  if (problem !== null) errors.push(problem);
  if (errors.length === 0) {
    const late = lateInBandProblem(merged(CORE_STEPS[node.deploy_interface] ?? [], steps));
    if (late !== null) errors.push(late);
  }
  return errors.length > 0 ? errors.join('; ') : null;
}

/**
 * The steps a deploy runs, highest priority first: the interface's core
 * steps and the user's, a user step replacing the core one of the same
 * name and priority 0 disabling it. `agentSteps` are the deploy steps the
 * running agent offers (`get_deploy_steps`); a user's in-band step it lacks
 * is refused in Ironic's words.
 */
export function deployPlan(
  node: Node,
  userSteps: readonly JsonObject[],
  agentSteps: readonly JsonObject[],
): JsonObject[] {
  const coreSteps = CORE_STEPS[node.deploy_interface] ?? [];
  const missing = userSteps.filter(
    (u) =>
      u.interface === 'deploy' &&
      reservedStep(u) === null &&
      findStep(node, u, 'deploy') === null &&
      !coreSteps.some((c) => same(c, u)) &&
      !agentSteps.some((a) => same(a, u)),
  );
  if (missing.length > 0) {
    throw new DeployPlanError(
      missing.map((u) => `node does not support this deploy step: ${describeStep(u)}`).join('; '),
    );
  }
  const plan = merged(coreSteps, userSteps);
  const late = lateInBandProblem(plan);
  if (late !== null) throw new DeployPlanError(late);
  return plan;
}

/** The core steps and the user's, highest priority first: a user step replaces the core one of its name, priority 0 drops it. */
function merged(coreSteps: readonly JsonObject[], userSteps: readonly JsonObject[]): JsonObject[] {
  const core = coreSteps.filter((c) => !userSteps.some((u) => same(u, c)));
  return [...core, ...userSteps.filter((u) => Number(u.priority) > 0)].sort(
    (a, b) => Number(b.priority) - Number(a.priority),
  );
}

/** In-band steps planned after deploy.tear_down_agent: Ironic fails such a step when it comes ("Agent is not running"). */
function lateInBandProblem(plan: readonly JsonObject[]): string | null {
  const tornDown = plan.findIndex((s) => conductorDeployStep(s) === 'tear_down_agent');
  const late = tornDown < 0 ? [] : plan.slice(tornDown + 1).filter((s) => inBandDeployStep(s));
  if (late.length === 0) return null;
  return late
    .map(
      (s) =>
        `deploy step ${describeStep(s)} runs in the agent after deploy.tear_down_agent (priority ${String(plan[tornDown]!.priority)}) has stopped it`,
    )
    .join('; ');
}

/** Run by the agent: the deploy interface's steps other than the conductor's core ones (reserved steps are the conductor's too). */
export function inBandDeployStep(step: JsonObject): boolean {
  return step.interface === 'deploy' && conductorDeployStep(step) === null && reservedStep(step) === null;
}

/** A deploy's steps cannot run on this node: the message is Ironic's. */
export class DeployPlanError extends Error {}
