import type { Node } from './model.js';

/** Ironic's words for a machine's health (common/health_states.py, Redfish's Status.Health). */
export const HEALTH_STATES = ['OK', 'Warning', 'Critical'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

/**
 * A node's `health` (API 1.109). The verdict its BMC last gave, which power
 * sync keeps in `health` as Ironic's node_cache_health does, wins when there
 * is one. Two cases go beyond Ironic, which only ever shows that cached
 * verdict:
 * - A node whose BMC stopped answering (fault `power failure`) is at least
 *   `Warning`: Ironic would keep showing the last verdict, an `OK` from a
 *   machine nobody can see any more; a `Critical` one stays.
 * - A BMC that gives no verdict (IPMI, a Redfish system without
 *   Status.Health, health monitoring off) leaves Anvil's own reading: `OK`
 *   once the BMC answers power sync, null before, where Ironic shows null.
 */
export function nodeHealth(node: Pick<Node, 'fault' | 'power_state' | 'health'>): HealthState | null {
  if (node.fault === 'power failure') return node.health === 'Critical' ? 'Critical' : 'Warning';
  if (node.health !== null) return node.health;
  if (node.power_state === null) return null;
  return 'OK';
}
