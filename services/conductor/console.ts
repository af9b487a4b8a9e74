import type { JsonObject, Node } from '../nodes/index.js';

/**
 * Where a console start or stop the API accepted waits for the owning
 * conductor: a key of driver_internal_info, as the power timeout is, since
 * Ironic keeps no column for it either (its conductor works in memory).
 */
export const CONSOLE_TARGET = 'console_target';

/** The driver_internal_info that asks the conductor to enable or disable the console. */
export function withConsoleTarget(node: Node, enabled: boolean): JsonObject {
  return { ...node.driver_internal_info, [CONSOLE_TARGET]: enabled };
}

/** What the node's console is to become, when a change waits; undefined when none does. */
export function consoleTargetOf(node: Node): boolean | undefined {
  const target = node.driver_internal_info[CONSOLE_TARGET];
  return typeof target === 'boolean' ? target : undefined;
}

/** driver_internal_info once the console change is done (or failed). */
export function withoutConsoleTarget(node: Node): JsonObject {
  const { [CONSOLE_TARGET]: _done, ...rest } = node.driver_internal_info;
  return rest;
}
