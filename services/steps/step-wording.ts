import { BmcAuthFailed, UnsupportedOperation } from '../../bmc-drivers/index.js';
import type { JsonObject, Node, ProvisionState } from '../nodes/index.js';
import { StepFailure } from './step-failure.js';

// How a failed step reads in last_error: Ironic's words, naming the step and
// the part of it that broke.

/** `interface.step` of a clean or deploy step, as Ironic names steps in messages. */
export function stepLabel(step: JsonObject): string {
  if (typeof step.step !== 'string') return 'agent step';
  return `${typeof step.interface === 'string' ? step.interface : 'deploy'}.${step.step}`;
}

/**
 * Runs one phase of a step; a failure that is not already worded for a
 * person is prefixed with what was being done, so last_error says which
 * part of a long step broke (booting the agent, or the instance).
 */
export async function during<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof StepFailure || err instanceof UnsupportedOperation) throw err;
    throw new StepFailure(`${what}: ${describeCause(err)}`);
  }
}

/** The BMC's own words ("refused the credentials", an RMCP+ status) do not all say what the operator must fix: the user name or password. */
export function describeCause(err: unknown): string {
  const what = err instanceof Error ? err.message : String(err);
  return err instanceof BmcAuthFailed
    ? `BMC authentication failed, check the user name and password in driver_info: ${what}`
    : what;
}

export function describeAgentError(error: unknown): string {
  if (error === null || error === undefined) return 'no reason given';
  if (typeof error === 'string') return error;
  const e = error as { message?: unknown; details?: unknown };
  for (const text of [e.details, e.message]) if (typeof text === 'string') return text;
  return JSON.stringify(error);
}

export function failureMessage(state: ProvisionState, node: Node, err: unknown): string {
  if (err instanceof StepFailure || err instanceof UnsupportedOperation) return err.message;
  const cause = describeCause(err);
  const verb: Partial<Record<ProvisionState, string>> = {
    verifying: 'Failed to verify the BMC',
    inspecting: 'Failed to inspect the hardware',
    cleaning: 'Cleaning failed',
    deploying: 'Deploy failed',
    deleting: 'Failed to tear down',
    adopting: 'Failed to adopt',
  };
  return `${verb[state] ?? 'Step failed'} for node ${node.uuid}: ${cause}`;
}
