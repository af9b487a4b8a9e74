import type { Node } from '../nodes/index.js';
import type { Remediation } from './model.js';

export type RemediationStep =
  { kind: 'reboot' } | { kind: 'wait' } | { kind: 'recovered' } | { kind: 'give up'; why: string };

/**
 * Whether a rebooted host came back. An active host runs its own OS, not
 * the agent, so there is no heartbeat to wait for: it came back when its
 * reboot finished without error, the BMC reports it powered on, and neither
 * a fault (maintenance by Anvil) nor a Critical Redfish health says it is sick.
 */
export function cameBack(node: Pick<Node, 'power_state' | 'target_power_state' | 'last_error' | 'fault' | 'health'>) {
  return (
    node.target_power_state === null &&
    node.last_error === null &&
    node.power_state === 'power on' &&
    node.fault === null &&
    node.health !== 'Critical'
  );
}

/**
 * The next step of a reboot remediation, from where it stands and the host
 * as last seen: the first reboot; waiting while a reboot is under way and
 * within its timeout; done once the host came back; another reboot after a
 * failed or timed-out one while attempts remain; else give up. Pure.
 */
export function remediationStep(
  r: Remediation,
  node: Pick<Node, 'power_state' | 'target_power_state' | 'last_error' | 'fault' | 'health' | 'reservation'>,
  nowMs: number,
): RemediationStep {
  if (r.started_at === null) return { kind: 'reboot' };
  const timedOut = nowMs - Date.parse(r.started_at) >= r.timeout * 1000;
  const busy = node.target_power_state !== null || node.reservation !== null;
  if (busy && !timedOut) return { kind: 'wait' };
  if (!busy && cameBack(node)) return { kind: 'recovered' };
  const failed = timedOut || (!busy && node.last_error !== null);
  if (!failed) return { kind: 'wait' };
  if (r.attempts < r.retry_limit) return { kind: 'reboot' };
  const seen = node.last_error ?? `power ${node.power_state ?? 'unknown'}, health ${node.health ?? 'unknown'}`;
  return { kind: 'give up', why: `the host did not come back after ${r.attempts} reboot(s): ${seen}` };
}
