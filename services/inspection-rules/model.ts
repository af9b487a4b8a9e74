/**
 * Ironic's inspection rule (API 1.96): when every condition holds on a
 * node's inspection data, the actions run on the node. Rules of phase
 * `main` run, highest priority first, once inspection data is stored.
 */

/** The phases a rule may run in: Ironic has only `main`. */
export const INSPECTION_PHASES = ['main'] as const;
export type InspectionPhase = (typeof INSPECTION_PHASES)[number];

/** How a looped condition's results combine. */
export const LOOP_MULTIPLE = ['any', 'all', 'first', 'last'] as const;
export type LoopMultiple = (typeof LOOP_MULTIPLE)[number];

/** Arguments by name, or (deprecated in Ironic, still accepted) by position. */
export type OperationArgs = Record<string, unknown> | unknown[];

/** A loop runs its condition or action once per item (`{item}`); an object is one item. */
export type Loop = unknown[] | Record<string, unknown>;

export interface RuleCondition {
  /** An operator, `!`-prefixed to invert it. */
  op: string;
  args: OperationArgs;
  loop?: Loop;
  /** Only with a loop. */
  multiple?: LoopMultiple;
}

export interface RuleAction {
  op: string;
  args: OperationArgs;
  loop?: Loop;
}

export interface InspectionRule {
  id: number;
  uuid: string;
  description: string | null;
  /** 0 to 9999; higher runs first. */
  priority: number;
  phase: InspectionPhase;
  /** Conditions and actions are never shown (they may carry credentials). */
  sensitive: boolean;
  conditions: RuleCondition[];
  actions: RuleAction[];
  created_at: string;
  updated_at: string | null;
}

/** What a client may write: the rule's own attributes. */
export type InspectionRuleFields = Pick<
  InspectionRule,
  'description' | 'priority' | 'phase' | 'sensitive' | 'conditions' | 'actions'
>;
