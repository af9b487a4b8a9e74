import type { Node } from './model.js';

/** Ironic's words for a machine's health (common/health_states.py, Redfish's Status.Health). */
export type HealthState = 'OK' | 'Warning' | 'Critical';

/**
 * A node's `health` (API 1.109) from what Anvil knows of its BMC. Ironic
 * copies the BMC's own verdict during power sync; Anvil's verdict is the
 * power sync itself: a node the BMC has stopped answering for (fault `power
 * failure`) needs attention, one whose power state the BMC reports is OK,
 * and one whose BMC has not answered yet is unknown (null, as Ironic shows
 * a node whose driver reports nothing).
 */
export function nodeHealth(node: Pick<Node, 'fault' | 'power_state'>): HealthState | null {
  if (node.fault === 'power failure') return 'Warning';
  if (node.power_state === null) return null;
  return 'OK';
}
