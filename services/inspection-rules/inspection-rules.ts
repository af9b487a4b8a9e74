import type { Logger } from '../logger.js';
import type { JsonObject, Node, NodeChanges } from '../nodes/index.js';
import type { Port, PortRepository } from '../ports/index.js';
import { NODE_ATTRIBUTES, PORT_ATTRIBUTES } from './attribute-paths.js';
import { applyRules } from './engine.js';
import type { InspectionRuleRepository } from './repository.js';

/** What applying the rules came to. */
export interface RulesOutcome {
  /** For the caller to write with the inspection's end (the node is locked by it). */
  nodeChanges: NodeChanges;
  /** The plugin data as the rules left it, to be stored; `pluginDataChanged` says whether they touched it. */
  pluginData: JsonObject;
  pluginDataChanged: boolean;
  /**
   * Set when a rule failed the inspection (a `fail` action, or an action or
   * condition that could not be carried out): the inspection's error. What
   * the rules changed before that is in `nodeChanges` all the same.
   */
  failure: string | null;
}

/** The node attributes rules change, traits included (add-trait, remove-trait). */
const NODE_FIELDS = [...Object.keys(NODE_ATTRIBUTES), 'traits'] as const;

function changed<T extends object>(before: T, after: T, keys: readonly string[]): Partial<T> {
  const changes: Record<string, unknown> = {};
  for (const key of keys) {
    const a = (before as Record<string, unknown>)[key];
    const b = (after as Record<string, unknown>)[key];
    if (JSON.stringify(a) !== JSON.stringify(b)) changes[key] = b;
  }
  return changes as Partial<T>;
}

/**
 * The inspection rules of phase `main`, applied to a node whose inspection
 * data has just arrived (out of band, or from its agent). Port changes are
 * written here; node changes and plugin data go back to the inspection,
 * which writes them as it ends.
 */
export class InspectionRules {
  constructor(private readonly deps: { rules: InspectionRuleRepository; ports: PortRepository; log: Logger }) {}

  async apply(node: Node, inventory: JsonObject, pluginData: JsonObject): Promise<RulesOutcome> {
    const rules = await this.deps.rules.listPhase('main');
    if (rules.length === 0) return { nodeChanges: {}, pluginData, pluginDataChanged: false, failure: null };
    const ports = await this.deps.ports.listForNode(node.id);
    const state = {
      node: structuredClone(node),
      ports: structuredClone(ports),
      pluginData: structuredClone(pluginData),
      log: this.deps.log.child({ node_uuid: node.uuid }),
    };
    const failure = await applyRules(rules, state, inventory);
    const now = new Date().toISOString();
    for (const port of state.ports) {
      const before = ports.find((p) => p.id === port.id)!;
      const changes = changed<Port>(before, port, Object.keys(PORT_ATTRIBUTES));
      if (Object.keys(changes).length > 0) await this.deps.ports.update(port.id, { ...changes, updated_at: now });
    }
    const nodeChanges: NodeChanges = changed<Node>(node, state.node, NODE_FIELDS);
    if (Object.keys(nodeChanges).length > 0) nodeChanges.updated_at = now;
    return {
      nodeChanges,
      pluginData: state.pluginData,
      pluginDataChanged: JSON.stringify(state.pluginData) !== JSON.stringify(pluginData),
      failure,
    };
  }
}
