import type { Knex } from 'knex';
import { col, insertRecord, listPage, rowCodec, uniqueViolationError, type PageRequest } from '../db/index.js';
import { DeployTemplateAlreadyExists, DeployTemplateDuplicateName, DeployTemplateNotFound } from '../errors.js';
import { DEPLOY_STEP_INTERFACES, type DeployStep, type DeployTemplate, type DeployTemplateChanges } from './model.js';

// Ironic refuses to sort by extra and steps: documents, not columns.
export const DEPLOY_TEMPLATE_SORT_KEYS = ['id', 'uuid', 'name', 'created_at', 'updated_at'] as const;
export type DeployTemplateSortKey = (typeof DEPLOY_TEMPLATE_SORT_KEYS)[number];

type TemplateRow = Omit<DeployTemplate, 'steps'>;
type StepRow = DeployStep & { deploy_template_id: number };

const TEMPLATES = rowCodec<TemplateRow>('deploy_templates', {
  id: col.generatedId,
  uuid: col.text,
  name: col.text,
  extra: col.jsonObject,
  created_at: col.timestamp,
  updated_at: col.nullable(col.timestamp),
});
const STEPS = rowCodec<StepRow>('deploy_template_steps', {
  deploy_template_id: col.integer,
  interface: col.oneOf(DEPLOY_STEP_INTERFACES),
  step: col.text,
  args: col.jsonObject,
  priority: col.integer,
});

/** A template and its steps: two tables, written together in one transaction. */
export class DeployTemplateRepository {
  constructor(private readonly knex: Knex) {}

  async create(template: Omit<DeployTemplate, 'id'>): Promise<DeployTemplate> {
    const { steps, ...row } = template;
    const id = await this.knex.transaction(async (trx) => {
      const inserted = await insertRecord(trx, TEMPLATES, row, (err) => translate(err, template));
      await insertSteps(trx, inserted, steps);
      return inserted;
    });
    return this.getById(id);
  }

  async getById(id: number): Promise<DeployTemplate> {
    const row = TEMPLATES.fromFound(
      await this.knex('deploy_templates').where({ id }).first(),
      () => new DeployTemplateNotFound(String(id)),
    );
    return (await withSteps(this.knex, [row]))[0]!;
  }

  async find(column: 'uuid' | 'name', value: string): Promise<DeployTemplate | null> {
    const row = TEMPLATES.fromFirst(await this.knex('deploy_templates').where(column, value).first());
    return row === null ? null : (await withSteps(this.knex, [row]))[0]!;
  }

  async list(page: PageRequest<DeployTemplateSortKey>): Promise<DeployTemplate[]> {
    const query = this.knex('deploy_templates').select('deploy_templates.*');
    return withSteps(this.knex, await listPage(this.knex, TEMPLATES, query, page, DeployTemplateNotFound));
  }

  /**
   * Applies what `compute` makes of the template as stored, with its row
   * locked meanwhile (FOR UPDATE on PostgreSQL; SQLite has one connection,
   * so one writer), so two patches of one template never lose each other's
   * steps. No changes: nothing is written and `updated_at` stays.
   */
  async update(
    { id, uuid }: Pick<DeployTemplate, 'id' | 'uuid'>,
    compute: (current: DeployTemplate) => DeployTemplateChanges,
  ): Promise<DeployTemplate> {
    await this.knex.transaction(async (trx) => {
      const row = TEMPLATES.fromFound(
        await trx('deploy_templates').where({ id }).forUpdate().first(),
        () => new DeployTemplateNotFound(uuid),
      );
      const [current] = await withSteps(trx, [row]);
      const { steps, ...changes } = compute(current!);
      if (steps === undefined && Object.keys(changes).length === 0) return;
      try {
        await trx('deploy_templates')
          .where({ id })
          .update(TEMPLATES.toRow({ ...changes, updated_at: new Date().toISOString() }));
      } catch (err) {
        throw translate(err, changes);
      }
      if (steps !== undefined) {
        await trx('deploy_template_steps').where({ deploy_template_id: id }).delete();
        await insertSteps(trx, id, steps);
      }
    });
    return this.getById(id);
  }

  async delete(id: number): Promise<void> {
    // The steps go with it (ON DELETE CASCADE).
    await this.knex('deploy_templates').where({ id }).delete();
  }
}

/** Templates with their steps, read in one query. */
async function withSteps(knex: Knex, rows: TemplateRow[]): Promise<DeployTemplate[]> {
  if (rows.length === 0) return [];
  const stepRows = STEPS.fromRows(
    await knex('deploy_template_steps')
      .whereIn(
        'deploy_template_id',
        rows.map((r) => r.id),
      )
      .orderBy('id'),
  );
  const byTemplate = new Map<number, DeployStep[]>();
  for (const { deploy_template_id: owner, ...step } of stepRows) {
    const list = byTemplate.get(owner) ?? [];
    list.push(step);
    byTemplate.set(owner, list);
  }
  return rows.map((row) => ({ ...row, steps: byTemplate.get(row.id) ?? [] }));
}

async function insertSteps(trx: Knex.Transaction, templateId: number, steps: readonly DeployStep[]): Promise<void> {
  // One statement per step: rows get ids in the template's order, which is how they are read back.
  for (const step of steps) {
    await trx('deploy_template_steps').insert(STEPS.toRow({ ...step, deploy_template_id: templateId }));
  }
}

function translate(err: unknown, template: DeployTemplateChanges & { uuid?: string }): unknown {
  return uniqueViolationError(err, 'deploy_templates', {
    name: () => new DeployTemplateDuplicateName(template.name ?? ''),
    uuid: () => new DeployTemplateAlreadyExists(template.uuid ?? ''),
  });
}
