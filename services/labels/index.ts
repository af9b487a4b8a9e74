export { LABEL_KEY, LABEL_KEY_RULE } from '../../contract/index.js';
export {
  expressionProblem,
  labelsOf,
  matchesSelector,
  SELECTOR_OPERATORS,
  type LabelExpression,
  type Labels,
  type LabelSelector,
  type SelectorOperator,
} from './selector.js';
