import { InvalidParameterValue } from '../errors.js';
import { ACTIONS } from './actions.js';
import {
  INSPECTION_PHASES,
  type InspectionPhase,
  type InspectionRuleFields,
  type LoopMultiple,
  type OperationArgs,
  type RuleAction,
  type RuleCondition,
} from './model.js';
import { argumentsProblem, literalArgs, type LiteralArg, type Signature } from './operation.js';
import { OPERATORS, parseInverted } from './operators.js';
import { pythonStr } from './python-values.js';
import { ruleSchemaProblem } from './schema.js';

const MAX_PRIORITY = 9999;

/** A rule as a client wrote it, checked: its attributes, and the uuid it asked for (null: one is made). */
export interface CheckedRule {
  uuid: string | null;
  fields: InspectionRuleFields;
}

interface Operation {
  op: string;
  args: OperationArgs;
  loop?: unknown;
}

function operationProblem(
  operation: Operation,
  kind: { signature: Signature; refusal?(arg: (name: string) => LiteralArg): string | null },
): string | null {
  const inLoop = loopOf(operation).loop !== undefined;
  return (
    argumentsProblem(kind.signature, operation.args) ??
    kind.refusal?.(literalArgs(kind.signature, operation.args, inLoop)) ??
    null
  );
}

/** A loop worth keeping: Ironic shows (and runs) an empty loop as none. */
function loopOf(operation: Operation): Pick<RuleAction, 'loop'> {
  const loop = operation.loop as RuleAction['loop'];
  if (loop === undefined || (Array.isArray(loop) ? loop.length : Object.keys(loop).length) === 0) return {};
  return { loop };
}

/**
 * Ironic's checks of a rule, on creation and after every patch: its schema
 * (the error prefixed with `schemaPrefix`, "Schema error" or, for a patch,
 * "Schema error for patch"), then validate_rule's phase, priority and each
 * operation's arguments, all problems in one message. Anvil adds the
 * refusal of what it could not carry out (an attribute a rule may not set,
 * a regular expression it cannot read, a proxy...), in the same message.
 */
export function checkRule(body: unknown, schemaPrefix: string): CheckedRule {
  const problem = ruleSchemaProblem(body);
  if (problem !== null) throw new InvalidParameterValue(`${schemaPrefix}: ${problem}`);
  const rule = body as Record<string, unknown>;
  const conditions = (rule.conditions ?? []) as (Operation & { multiple?: LoopMultiple })[];
  const actions = rule.actions as Operation[];
  const errors: string[] = [];

  const phase = Object.hasOwn(rule, 'phase') ? rule.phase : 'main';
  if (!INSPECTION_PHASES.includes(phase as InspectionPhase)) {
    errors.push(`Invalid phase: ${pythonStr(phase)}. Valid phases are: ${INSPECTION_PHASES.join(', ')}`);
  }
  const priority = (rule.priority ?? 0) as number;
  if (priority > MAX_PRIORITY) errors.push(`Priority must be between 0 and ${MAX_PRIORITY} for user-defined rules.`);
  for (const condition of conditions) {
    const { name } = parseInverted(condition.op);
    const found = operationProblem(condition, OPERATORS[name]!);
    if (found !== null) errors.push(`Invalid parameters for condition operator ${name}: ${found}`);
  }
  for (const action of actions) {
    const found = operationProblem(action, ACTIONS[action.op]!);
    if (found !== null) errors.push(`Invalid parameters for action operator ${action.op}: ${found}`);
  }
  if (errors.length === 1) throw new InvalidParameterValue(errors[0]);
  if (errors.length > 1) throw new InvalidParameterValue(`Multiple validation errors occurred: ${errors.join('; ')}`);

  return {
    uuid: typeof rule.uuid === 'string' ? rule.uuid : null,
    fields: {
      description: (rule.description ?? null) as string | null,
      priority,
      phase: phase as InspectionPhase,
      sensitive: rule.sensitive === true,
      // Stored as Ironic shows them: op, args, a loop only when it has items, and `multiple` only with a loop.
      conditions: conditions.map((c): RuleCondition => {
        const loop = loopOf(c);
        return { op: c.op, args: c.args, ...loop, ...(loop.loop ? { multiple: c.multiple ?? 'any' } : {}) };
      }),
      actions: actions.map((a): RuleAction => ({ op: a.op, args: a.args, ...loopOf(a) })),
    },
  };
}
