export { InspectionRuleAlreadyExists, InspectionRuleNotFound } from './errors.js';
export { InspectionRules, type RulesOutcome } from './inspection-rules.js';
export type { InspectionRule, InspectionRuleFields, RuleAction, RuleCondition } from './model.js';
export { INSPECTION_RULE_SORT_KEYS, InspectionRuleRepository, type InspectionRuleSortKey } from './repository.js';
export { checkRuleIdent, INSPECTION_RULE_PATCHABLE_FIELDS, InspectionRuleService } from './service.js';
