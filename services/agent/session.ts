import type { JsonObject, Node } from '../nodes/index.js';

/** driver_internal_info keys of one agent session; a new verb starts a new session. */
export const AGENT_SESSION_KEYS = [
  'agent_url',
  'agent_secret_token',
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
