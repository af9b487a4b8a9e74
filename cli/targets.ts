import { UsageError } from './errors.js';
import type { AnvilClient } from './http-client.js';
import { nodeLabel, type NodeRecord } from './node-record.js';
import { matches, parseSelector, selectorQuery } from './selector.js';

/**
 * The nodes a verb acts on: names (or uuids) as typed, or every node a
 * selector matches. Names are not looked up first: the action's own answer
 * says when one does not exist, as one failed item of the batch.
 */
export async function resolveTargets(
  client: AnvilClient,
  names: readonly string[],
  selectorText: string | undefined,
): Promise<string[]> {
  if (names.length > 0 && selectorText !== undefined) throw new UsageError('give node names or --selector, not both');
  if (selectorText !== undefined) {
    // None matching is an answer, not an error: "retry the failed ones" with none failed has nothing to do.
    return (await listNodes(client, selectorText)).map(nodeLabel);
  }
  if (names.length === 0) throw new UsageError('name at least one node, or give --selector (e.g. --selector rack=r12)');
  const seen = new Set<string>();
  return names.filter((n) => !seen.has(n) && seen.add(n));
}

/** Every node, or those a selector matches: the state is filtered by the server, extra fields here. */
export async function listNodes(client: AnvilClient, selectorText: string | undefined): Promise<NodeRecord[]> {
  const selector = selectorText === undefined ? null : parseSelector(selectorText);
  const nodes = await client.listAll<NodeRecord>(`/v1/nodes/detail${selector ? selectorQuery(selector) : ''}`, 'nodes');
  return selector ? nodes.filter((n) => matches(selector, n)) : nodes;
}
