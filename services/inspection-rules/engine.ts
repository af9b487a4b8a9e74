import { maskSecrets } from '../secrets/index.js';
import { ACTIONS, type RuleState } from './actions.js';
import { RuleFailure } from './errors.js';
import { interpolate, maskedForRules, type InterpolationContext } from './interpolation.js';
import type { InspectionRule, Loop, OperationArgs, RuleAction, RuleCondition } from './model.js';
import { namedArgs, type Signature } from './operation.js';
import { OPERATORS, parseInverted } from './operators.js';
import { PythonError, PythonObject } from './python-values.js';

/**
 * Applies `rules` to the node in `state` (Ironic's apply_rules): highest
 * priority first, each rule's actions run when all its conditions hold.
 * Actions change `state` in place. The first failure stops everything and
 * is answered as the inspection's error, what earlier actions changed
 * staying changed, as in Ironic (each of its actions saves the node).
 */
export async function applyRules(
  rules: readonly InspectionRule[],
  state: RuleState,
  inventory: Readonly<Record<string, unknown>>,
): Promise<string | null> {
  // Stable: equal priorities keep the order given (creation order).
  const ordered = [...rules].sort((a, b) => b.priority - a.priority);
  const maskedInventory = maskedForRules(inventory);
  const nodeLog = state.log;
  for (const rule of ordered) {
    const log = nodeLog.child({ inspection_rule: rule.uuid });
    const run = new RuleRun({ ...state, log }, maskedInventory, rule.sensitive);
    try {
      if (!run.conditionsHold(rule.conditions)) {
        log.debug('inspection rule skipped: a condition does not hold');
        continue;
      }
      log.info('applying the actions of an inspection rule');
      for (const action of rule.actions) await run.act(action);
    } catch (err) {
      const message =
        err instanceof RuleFailure
          ? err.message
          : `Failed to apply rule ${rule.uuid} to node ${state.node.uuid}: ${(err as Error).message}`;
      log.error({ reason: message }, 'inspection rule failed');
      return message;
    }
  }
  return null;
}

/** A loop with items to run over: Ironic runs an empty one as no loop at all. */
function loopItems(loop: Loop | undefined): Loop | null {
  if (loop === undefined) return null;
  return (Array.isArray(loop) ? loop.length : Object.keys(loop).length) > 0 ? loop : null;
}

/** One rule applied to one node: its conditions checked and its actions run against the state as it goes. */
class RuleRun {
  constructor(
    private readonly state: RuleState,
    private readonly inventory: unknown,
    /** A sensitive rule's arguments never reach the log. */
    private readonly sensitive: boolean,
  ) {}

  conditionsHold(conditions: readonly RuleCondition[]): boolean {
    return conditions.every((condition) => this.conditionHolds(condition));
  }

  async act(action: RuleAction): Promise<void> {
    const kind = ACTIONS[action.op];
    if (kind === undefined) throw new PythonError('ValueError', `Unsupported action: '${action.op}'.`);
    const loop = loopItems(action.loop);
    if (loop === null) {
      await kind.run(this.args(kind.signature, action.args, action.op, null), this.state);
      return;
    }
    // A dict is one item, as in Ironic.
    for (const item of Array.isArray(loop) ? loop : [loop]) {
      await kind.run(this.args(kind.signature, action.args, action.op, { item }), this.state);
    }
  }

  /** Ironic's check_with_loop: each item checked (inverted as the operator says), then combined by `multiple`. */
  private conditionHolds(condition: RuleCondition): boolean {
    const loop = loopItems(condition.loop);
    if (loop === null) return this.check(condition, null);
    if (!Array.isArray(loop)) return this.check(condition, { item: loop });
    const multiple = condition.multiple ?? 'any';
    let results: boolean[] = [];
    for (const item of loop) {
      const result = this.check(condition, { item });
      results.push(result);
      if (multiple === 'first' && result) return true;
      if (multiple === 'last') results = [result];
    }
    if (multiple === 'any') return results.some(Boolean);
    if (multiple === 'all') return results.every(Boolean);
    return results[0] ?? false;
  }

  private check(condition: RuleCondition, loop: { item: unknown } | null): boolean {
    const { name, inverted } = parseInverted(condition.op);
    const operator = OPERATORS[name];
    if (operator === undefined) {
      throw new PythonError(
        'ValueError',
        `Unsupported operator: '${name}'. Supported operators are: ${Object.keys(OPERATORS).join(', ')}.`,
      );
    }
    const args = this.args(operator.signature, condition.args, name, loop);
    // Formatting made strings of the loop's values: compare them all as strings.
    if (loop !== null && 'force_strings' in operator.signature.optional) args.force_strings = true;
    const result = operator.check(args);
    return inverted ? !result : result;
  }

  /** Ironic's _process_args: named, defaults filled in, formatted where the signature (or a loop) says. */
  private args(
    signature: Signature,
    given: OperationArgs,
    op: string,
    loop: { item: unknown } | null,
  ): Record<string, unknown> {
    const named = namedArgs(signature, given);
    const missing = signature.required.filter((name) => !Object.hasOwn(named, name));
    if (missing.length > 0) throw new PythonError('TypeError', `missing required argument(s): ${missing.join(', ')}`);
    const context = this.context(loop);
    const args: Record<string, unknown> = { ...signature.optional };
    for (const [name, value] of Object.entries(named)) {
      const formatted = loop !== null || signature.formatted.includes(name);
      args[name] = formatted
        ? interpolate(value, context, {
            inLoop: loop !== null,
            op,
            onFailure: (text, err) =>
              this.state.log.warn(
                `Interpolation failed: ${this.sensitive ? '***' : text}: ${err.kind}, ${err.message}`,
              ),
          })
        : value;
    }
    return args;
  }

  /** What fields name, read afresh each time: earlier actions may have changed the node and plugin data. */
  private context(loop: { item: unknown } | null): InterpolationContext {
    return {
      // Secrets of the node are never a rule's to read: they would land in plugin data or in logs.
      node: new PythonObject('Node', maskSecrets(this.state.node) as unknown as Record<string, unknown>),
      inventory: this.inventory,
      plugin_data: maskedForRules(this.state.pluginData),
      ...(loop ?? {}),
    };
  }
}
