import type { Knex } from 'knex';
import { col, insertRecord, listPage, rowCodec, uniqueViolationError, type PageRequest } from '../db/index.js';
import { InspectionRuleAlreadyExists, InspectionRuleNotFound } from './errors.js';
import {
  INSPECTION_PHASES,
  type InspectionPhase,
  type InspectionRule,
  type InspectionRuleFields,
  type RuleAction,
  type RuleCondition,
} from './model.js';

// As Ironic: conditions and actions are documents, not columns to sort by.
export const INSPECTION_RULE_SORT_KEYS = [
  'id',
  'uuid',
  'priority',
  'phase',
  'description',
  'sensitive',
  'created_at',
  'updated_at',
] as const;
export type InspectionRuleSortKey = (typeof INSPECTION_RULE_SORT_KEYS)[number];

function isOperationList(value: unknown): value is { op: string; args: unknown }[] {
  return (
    Array.isArray(value) &&
    value.every(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as { op?: unknown }).op === 'string' &&
        typeof (v as { args?: unknown }).args === 'object' &&
        (v as { args?: unknown }).args !== null,
    )
  );
}

const RULES = rowCodec<InspectionRule>('inspection_rules', {
  id: col.generatedId,
  uuid: col.text,
  description: col.nullable(col.text),
  priority: col.integer,
  phase: col.oneOf<InspectionPhase>(INSPECTION_PHASES),
  sensitive: col.boolean,
  conditions: col.json('a list of conditions', (v): v is RuleCondition[] => isOperationList(v)),
  actions: col.json('a list of actions', (v): v is RuleAction[] => isOperationList(v)),
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
});

export class InspectionRuleRepository {
  constructor(private readonly knex: Knex) {}

  async create(rule: Omit<InspectionRule, 'id'>): Promise<InspectionRule> {
    const id = await insertRecord(this.knex, RULES, rule, (err) =>
      uniqueViolationError(err, 'inspection_rules', { uuid: () => new InspectionRuleAlreadyExists(rule.uuid) }),
    );
    return this.getById(id, rule.uuid);
  }

  async find(uuid: string): Promise<InspectionRule | null> {
    return RULES.fromFirst(await this.knex('inspection_rules').where({ uuid }).first());
  }

  async list(page: PageRequest<InspectionRuleSortKey>, phase: string | null): Promise<InspectionRule[]> {
    const query = this.knex('inspection_rules').select('inspection_rules.*');
    if (phase !== null) query.where({ phase });
    return listPage(this.knex, RULES, query, page, InspectionRuleNotFound);
  }

  /** Every rule of `phase`, in creation order (the order equal priorities apply in). */
  async listPhase(phase: InspectionPhase): Promise<InspectionRule[]> {
    return RULES.fromRows(await this.knex('inspection_rules').where({ phase }).orderBy('id'));
  }

  /**
   * Applies what `compute` makes of the rule as stored, with its row locked
   * meanwhile (FOR UPDATE on PostgreSQL; SQLite has one writer), so two
   * patches never lose each other's change. No change: nothing is written.
   */
  async update(
    { id, uuid }: Pick<InspectionRule, 'id' | 'uuid'>,
    compute: (current: InspectionRule) => Partial<InspectionRuleFields>,
  ): Promise<InspectionRule> {
    await this.knex.transaction(async (trx) => {
      const current = RULES.fromFound(
        await trx('inspection_rules').where({ id }).forUpdate().first(),
        () => new InspectionRuleNotFound(uuid),
      );
      const changes = compute(current);
      if (Object.keys(changes).length === 0) return;
      await trx('inspection_rules')
        .where({ id })
        .update(RULES.toRow({ ...changes, updated_at: new Date().toISOString() }));
    });
    return this.getById(id, uuid);
  }

  async delete(id: number): Promise<void> {
    await this.knex('inspection_rules').where({ id }).delete();
  }

  private async getById(id: number, uuid: string): Promise<InspectionRule> {
    return RULES.fromFound(
      await this.knex('inspection_rules').where({ id }).first(),
      () => new InspectionRuleNotFound(uuid),
    );
  }
}
