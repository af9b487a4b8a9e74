import { UnsupportedDriverExtension } from '../errors.js';
import type { JsonObject, Node } from '../nodes/index.js';

/**
 * The console interfaces that can serve a console, each with what it answers
 * as `console_info` once enabled. Ironic's fake console has nothing to connect
 * to and describes itself as `{}`; `no-console` is absent, so it is refused.
 */
const CONSOLE_INFO: Record<string, (node: Node) => JsonObject> = {
  fake: () => ({}),
};

/** Refuses, as Ironic's console validate does, a node whose console interface serves no console. */
export function requireConsole(node: Node): void {
  if (CONSOLE_INFO[node.console_interface] === undefined) throw new UnsupportedDriverExtension(node.driver, 'console');
}

/** How to reach the node's enabled console. */
export function consoleInfo(node: Node): JsonObject {
  requireConsole(node);
  return CONSOLE_INFO[node.console_interface]!(node);
}
