import { Conflict, NotFound } from '../errors.js';

export class InspectionRuleNotFound extends NotFound {
  constructor(ident: string) {
    super(`Rule ${ident} could not be found.`);
  }
}

export class InspectionRuleAlreadyExists extends Conflict {
  constructor(uuid: string) {
    super(`A rule with UUID ${uuid} already exists.`);
  }
}

/**
 * Why applying the rules failed inspection, in Ironic's words: a `fail`
 * action ("Failed to inspect hardware. Reason: ..."), or an action or
 * condition that could not be carried out.
 */
export class RuleFailure extends Error {
  static action(reason: string): RuleFailure {
    return new RuleFailure(`Inspection rule action execution failed. Reason: ${reason}`);
  }

  static condition(reason: string): RuleFailure {
    return new RuleFailure(`Inspection rule condition check failed. Reason: ${reason}`);
  }

  static execution(reason: string): RuleFailure {
    return new RuleFailure(`Inspection rule execution failed. Reason: ${reason}`);
  }

  static inspection(reason: string): RuleFailure {
    return new RuleFailure(`Failed to inspect hardware. Reason: ${reason}`);
  }
}
