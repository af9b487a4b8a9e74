import { UPDATE_ALLOWED_STATES, type Node } from '../nodes/index.js';
import type { Allocation } from './model.js';

/** What a node must have for an allocation: Ironic's candidate filters. */
export interface NodeWant {
  resourceClass: string | null;
  owner: string | null;
  traits: string[];
  /** Node uuids to choose among; empty means any. */
  among: string[];
}

export interface NodeCandidate {
  id: number;
  uuid: string;
  name: string | null;
}

export function wantOf(a: Allocation): NodeWant {
  return { resourceClass: a.resource_class, owner: a.owner, traits: a.traits, among: a.candidate_nodes };
}

export function hasTraits(nodeTraits: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((t) => nodeTraits.includes(t));
}

/**
 * The order in which candidates are tried: random, so that parallel
 * allocations do not all race for the same node first, except that a node
 * named as the allocation goes first (hosts named like their allocations).
 */
export function orderCandidates<T extends { name: string | null }>(
  candidates: T[],
  allocationName: string | null,
  random: () => number = Math.random,
): T[] {
  const order = [...candidates];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const named = allocationName === null ? -1 : order.findIndex((c) => c.name === allocationName);
  if (named > 0) order.unshift(...order.splice(named, 1));
  return order;
}

/**
 * Why nothing matched, in Ironic's words: the resource class (and candidate
 * list) leave no node, or some remain but none has the traits.
 */
export function noMatchError(a: Allocation, withoutTraits: boolean): string {
  if (withoutTraits && a.traits.length > 0) {
    return `no suitable nodes have the requested traits ${a.traits.join(', ')}`;
  }
  return a.candidate_nodes.length > 0
    ? `none of the requested nodes are available and match the resource class ${a.resource_class ?? 'None'}`
    : `no available nodes match the resource class ${a.resource_class ?? 'None'}`;
}

/** Why `node` cannot be backfilled into `a`: Ironic's checks, all of them, so one answer names every problem. */
export function backfillErrors(
  node: Pick<Node, 'uuid' | 'provision_state' | 'resource_class' | 'traits'>,
  a: Pick<Allocation, 'resource_class' | 'traits' | 'candidate_nodes'>,
): string[] {
  const errors: string[] = [];
  // Backfilling records an allocation for a deployed node; it is no way around the allocation process.
  if (node.provision_state !== 'active') {
    errors.push(`Node must be in the "active" state, but the current state is "${node.provision_state}"`);
  }
  if (a.resource_class && node.resource_class !== a.resource_class) {
    errors.push(
      `Resource class ${node.resource_class ?? 'None'} does not match the requested resource class ${a.resource_class}`,
    );
  }
  if (a.traits.length > 0 && !hasTraits(node.traits, a.traits)) {
    errors.push(
      `List of traits ${JSON.stringify(node.traits)} does not match the requested traits ${JSON.stringify(a.traits)}`,
    );
  }
  if (a.candidate_nodes.length > 0 && !a.candidate_nodes.includes(node.uuid)) {
    errors.push(
      `Candidate nodes must be empty or contain the target node, but got ${JSON.stringify(a.candidate_nodes)}`,
    );
  }
  return errors;
}

/**
 * Why the allocation may not be deleted while `node` holds it, or null: out
 * of maintenance, a node that is deployed, or in a transition that forbids
 * updates, keeps its allocation (Ironic's verify_node_for_deallocation).
 */
export function deallocationRefusal(
  node: Pick<Node, 'uuid' | 'maintenance' | 'provision_state' | 'target_provision_state'>,
  allocationUuid: string,
): string | null {
  if (node.maintenance) return null;
  if (node.target_provision_state !== null && !UPDATE_ALLOWED_STATES.includes(node.provision_state)) {
    return `Cannot remove allocation ${allocationUuid} for node ${node.uuid}, because the node is in state ${node.provision_state} where updates are not allowed (and maintenance mode is off)`;
  }
  if (node.provision_state === 'active') {
    return `Cannot remove allocation ${allocationUuid} for node ${node.uuid}, because the node is active (and maintenance mode is off)`;
  }
  return null;
}
