import type { JsonObject, Node, NodeChanges, ProvisionState } from '../nodes/index.js';

/** Ironic's LOOKUP_ALLOWED_STATES, with servicing: an agent may find its node only while the node expects one. */
export const LOOKUP_STATES: readonly ProvisionState[] = [
  'deploying',
  'wait call-back',
  'cleaning',
  'clean wait',
  'inspecting',
  'inspect wait',
  'rescuing',
  'rescue wait',
  'servicing',
  'service wait',
];

/**
 * Where a booted agent goes on working for its node: the lookup states and
 * the holds, which pause the steps with the agent still running (unhold goes
 * back to the wait). Outside them its token and callback URL are void.
 */
export const AGENT_STATES: readonly ProvisionState[] = [...LOOKUP_STATES, 'clean hold', 'deploy hold', 'service hold'];

/** What lets an agent act for the node (Ironic's wipe_token_and_url). */
const AGENT_CREDENTIALS = ['agent_secret_token', 'agent_url', 'agent_verify_ca'] as const;

/** driver_internal_info keys of one agent session; a new verb starts a new session. */
export const AGENT_SESSION_KEYS = [
  ...AGENT_CREDENTIALS,
  'agent_last_heartbeat',
  'agent_version',
  'deploy_phase',
  'deploy_command_id',
  'clean_phase',
  'clean_command_id',
  'clean_step_index',
  'inspection_reported',
] as const;

/** The running agent's callback URL and token, once it has heartbeated. */
export function agentSession(node: Node): { url: string; token: string } | null {
  const url = node.driver_internal_info.agent_url;
  const token = node.driver_internal_info.agent_secret_token;
  return typeof url === 'string' && typeof token === 'string' ? { url, token } : null;
}

/** driver_internal_info with the agent session forgotten. */
export function withoutSession(node: Node): JsonObject {
  const internal: JsonObject = { ...node.driver_internal_info };
  for (const key of AGENT_SESSION_KEYS) delete internal[key];
  return internal;
}

/**
 * `changes` about to be written to `node`, plus the revocation of its
 * agent's token and callback URL when they move the node out of the agent's
 * states (done, failed, aborted, held no more...), as Ironic wipes them on
 * every such exit: a heartbeat with the old token is then refused, and
 * cannot point the conductor at a new URL. Every write of a provision state
 * goes through this (the conductor's NodeTask, the intake), so no path can
 * forget it.
 */
export function revokeAgentOnExit(node: Node, changes: NodeChanges): NodeChanges {
  const next = changes.provision_state;
  if (next === undefined || AGENT_STATES.includes(next)) return changes;
  const internal: JsonObject = { ...(changes.driver_internal_info ?? node.driver_internal_info) };
  if (!AGENT_CREDENTIALS.some((key) => key in internal)) return changes;
  for (const key of AGENT_CREDENTIALS) delete internal[key];
  return { ...changes, driver_internal_info: internal };
}
