import { randomUUID } from 'node:crypto';
import type { PageRequest } from '../db/index.js';
import { InvalidParameterValue, PatchError } from '../errors.js';
import { isUuidLike, normalizeUuid } from '../nodes/index.js';
import { InspectionRuleNotFound } from './errors.js';
import type { InspectionRule, InspectionRuleFields } from './model.js';
import type { InspectionRuleRepository, InspectionRuleSortKey } from './repository.js';
import { checkRule } from './validation.js';

/** The attributes a patch may change. */
export const INSPECTION_RULE_PATCHABLE_FIELDS = [
  'description',
  'priority',
  'phase',
  'sensitive',
  'conditions',
  'actions',
] as const;

/** A rule's identifier in a path: Ironic knows rules by uuid only. */
export function checkRuleIdent(ident: string): string {
  if (!isUuidLike(ident)) throw new InvalidParameterValue(`Schema error: '${ident}' is not a 'uuid'`);
  return normalizeUuid(ident);
}

/** `/v1/inspection_rules`: rules are checked as Ironic checks them, on creation and after every patch. */
export class InspectionRuleService {
  constructor(private readonly repo: InspectionRuleRepository) {}

  async get(ident: string): Promise<InspectionRule> {
    const found = await this.repo.find(checkRuleIdent(ident));
    if (!found) throw new InspectionRuleNotFound(ident);
    return found;
  }

  list(page: PageRequest<InspectionRuleSortKey>, phase: string | null): Promise<InspectionRule[]> {
    return this.repo.list(page, phase);
  }

  /** `body` as the client sent it: it is checked here, whole. */
  async create(body: unknown): Promise<InspectionRule> {
    const { uuid, fields } = checkRule(body, 'Schema error');
    if (uuid !== null && !isUuidLike(uuid)) throw new InvalidParameterValue(`Expected a UUID but received ${uuid}.`);
    return this.repo.create({
      uuid: uuid === null ? randomUUID() : normalizeUuid(uuid),
      ...fields,
      created_at: new Date().toISOString(),
      updated_at: null,
    });
  }

  /**
   * Applies a change computed from the rule as stored (its patchable
   * attributes); the result is checked as a new rule would be. A sensitive
   * rule stays sensitive, as in Ironic.
   */
  async update(
    ident: string,
    compute: (current: InspectionRuleFields) => Record<string, unknown>,
  ): Promise<InspectionRule> {
    const rule = await this.get(ident);
    return this.repo.update(rule, (current) => {
      const { fields } = checkRule(compute(current), 'Schema error for patch');
      if (current.sensitive && !fields.sensitive) {
        throw new PatchError("Couldn't apply patch. Reason: Inspection rules cannot have the sensitive flag unset.");
      }
      const changes: Partial<InspectionRuleFields> = {};
      for (const key of INSPECTION_RULE_PATCHABLE_FIELDS) {
        if (JSON.stringify(fields[key]) !== JSON.stringify(current[key]))
          Object.assign(changes, { [key]: fields[key] });
      }
      return changes;
    });
  }

  async delete(ident: string): Promise<void> {
    await this.repo.delete((await this.get(ident)).id);
  }
}
