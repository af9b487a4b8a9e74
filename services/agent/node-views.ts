import { withoutSession } from './session.js';
import type { JsonObject, Node } from '../nodes/index.js';

// What the agent and the BMC are told of a node.

/** driver_internal_info with the agent's credentials and callback forgotten, the steps' progress kept. */
export function withoutSessionKeepingProgress(node: Node): JsonObject {
  const internal = withoutSession(node);
  for (const key of ['clean_step_index', 'service_step_index'] as const) {
    if (node.driver_internal_info[key] !== undefined) internal[key] = node.driver_internal_info[key];
  }
  return internal;
}

/**
 * The node as the agent is told of it with a command: what it reads to pick
 * the disk (root_device hints in instance_info or properties) and the boot
 * mode, without secrets (the image URL and config drive travel in image_info).
 */
export function agentNodeView(node: Node): JsonObject {
  const { root_device, capabilities } = node.instance_info;
  return {
    uuid: node.uuid,
    properties: node.properties,
    instance_info: {
      ...(root_device !== undefined ? { root_device } : {}),
      ...(capabilities !== undefined ? { capabilities } : {}),
    },
  };
}
