/**
 * Host labels and the selectors a Cluster API provider chooses hosts by.
 * A node's labels are the keys of its Ironic `extra` whose values are
 * strings (decided in issue 15: one place, set by PATCH or the enroll file,
 * and the same keys the CLI's `--selector key=value` matches). Pure.
 */

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

/** Kubernetes' LabelSelectorRequirement, in snake_case like Anvil's other resources. */
export interface LabelExpression {
  key: string;
  operator: SelectorOperator;
  /** Non-empty for In and NotIn, empty for Exists and DoesNotExist. */
  values: string[];
}

/** Kubernetes' LabelSelector: every label and every expression must hold (an empty selector matches all). */
export interface LabelSelector {
  match_labels: Record<string, string>;
  match_expressions: LabelExpression[];
}

export type Labels = Readonly<Record<string, string>>;

/** The labels in a node's `extra`: its string-valued keys. */
export function labelsOf(extra: Readonly<Record<string, unknown>>): Labels {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(extra)) if (typeof value === 'string') labels[key] = value;
  return labels;
}

export function matchesSelector(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.match_labels)) if (labels[key] !== value) return false;
  return selector.match_expressions.every((e) => matchesExpression(e, labels));
}

function matchesExpression(e: LabelExpression, labels: Labels): boolean {
  const has = Object.hasOwn(labels, e.key);
  switch (e.operator) {
    case 'In':
      return has && e.values.includes(labels[e.key]!);
    case 'NotIn':
      // As Kubernetes: a host without the label is "not in" any set.
      return !has || !e.values.includes(labels[e.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/**
 * Why an expression is malformed (Kubernetes' rules), or null: In/NotIn
 * need values, Exists/DoesNotExist take none. The operator itself is
 * checked where the input is parsed.
 */
export function expressionProblem(e: LabelExpression): string | null {
  const needsValues = e.operator === 'In' || e.operator === 'NotIn';
  if (needsValues && e.values.length === 0) return `operator ${e.operator} on "${e.key}" needs at least one value`;
  if (!needsValues && e.values.length > 0) return `operator ${e.operator} on "${e.key}" takes no values`;
  return null;
}
