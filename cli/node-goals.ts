import { FAILURE_STATES, type PowerState, type StableState } from '../contract/index.js';
import type { NodeRecord } from './node-record.js';

/** Where a state change ends: a provision state the node rests in, or a power state. */
export type NodeGoal = { kind: 'provision'; state: StableState } | { kind: 'power'; state: PowerState };

/**
 * Where a node rests when its last operation failed: Ironic's failure states,
 * and `error`, where a failed tear-down (delete) ends.
 */
export const FAILED_STATES: ReadonlySet<string> = new Set<string>([...FAILURE_STATES, 'error']);

export type Verdict = { kind: 'done' } | { kind: 'waiting' } | { kind: 'failed'; reason: string };

/**
 * Whether a node, read after the request was accepted, has reached the
 * goal. Pure. The API records the request's intent (target states, a
 * cleared last_error) before it answers 202, so a node with no target left
 * has finished, one way or the other; the lock must be gone too, or the
 * next command would meet NodeLocked.
 */
export function judge(node: NodeRecord, goal: NodeGoal): Verdict {
  if (goal.kind === 'provision') {
    if (FAILED_STATES.has(node.provision_state)) return failed(node, node.provision_state);
    if (node.target_provision_state !== null || node.reservation !== null) return { kind: 'waiting' };
    if (node.provision_state === goal.state) return { kind: 'done' };
    return failed(node, `stopped in "${node.provision_state}" instead of "${goal.state}"`);
  }
  if (node.target_power_state !== null || node.reservation !== null) return { kind: 'waiting' };
  if (node.last_error !== null) return failed(node, 'power change failed');
  if (node.power_state === goal.state) return { kind: 'done' };
  return failed(node, `power is "${node.power_state ?? 'unknown'}" instead of "${goal.state}"`);
}

function failed(node: NodeRecord, what: string): Verdict {
  return { kind: 'failed', reason: node.last_error === null ? what : `${what}: ${node.last_error}` };
}
