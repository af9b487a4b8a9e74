import { randomUUID } from 'node:crypto';
import type { PageRequest } from '../db/index.js';
import { DeployTemplateNotFound, InvalidParameterValue } from '../errors.js';
import { isUuidLike, isValidLogicalName, normalizeUuid, type JsonObject } from '../nodes/index.js';
import type { DeployStep, DeployTemplate, DeployTemplateChanges } from './model.js';
import type { DeployTemplateRepository, DeployTemplateSortKey } from './repository.js';
import { checkDeployTemplate } from './validation.js';

export interface DeployTemplateCreate {
  uuid?: string | null;
  name: string;
  steps: DeployStep[];
  extra?: JsonObject | null;
}

export const DEPLOY_TEMPLATE_PATCHABLE_FIELDS = ['name', 'steps', 'extra'] as const;
export type DeployTemplateUpdate = Pick<DeployTemplate, (typeof DEPLOY_TEMPLATE_PATCHABLE_FIELDS)[number]>;

export class DeployTemplateService {
  constructor(private readonly repo: DeployTemplateRepository) {}

  async get(ident: string): Promise<DeployTemplate> {
    let found: DeployTemplate | null;
    if (isUuidLike(ident)) found = await this.repo.find('uuid', normalizeUuid(ident));
    else if (isValidLogicalName(ident)) found = await this.repo.find('name', ident);
    else throw new InvalidParameterValue(`Expected a logical name or UUID but received ${ident}.`);
    if (!found) throw new DeployTemplateNotFound(ident);
    return found;
  }

  /**
   * The templates a deployment would apply: those named by the instance's
   * traits (`instance_info.traits`), as Ironic matches them.
   */
  async matching(traits: readonly string[]): Promise<DeployTemplate[]> {
    const found = await Promise.all(traits.map((name) => this.repo.find('name', name)));
    return found.filter((t): t is DeployTemplate => t !== null);
  }

  list(page: PageRequest<DeployTemplateSortKey>): Promise<DeployTemplate[]> {
    return this.repo.list(page);
  }

  async create(input: DeployTemplateCreate): Promise<DeployTemplate> {
    checkDeployTemplate(input);
    return this.repo.create({
      uuid: input.uuid ? normalizeUuid(input.uuid) : randomUUID(),
      name: input.name,
      steps: input.steps,
      extra: input.extra ?? {},
      created_at: new Date().toISOString(),
      updated_at: null,
    });
  }

  /** Applies a change computed from the template as stored; the result must be a valid template as a whole. */
  async update(ident: string, compute: (current: DeployTemplate) => DeployTemplateUpdate): Promise<DeployTemplate> {
    const template = await this.get(ident);
    return this.repo.update(template, (current) => {
      const next = compute(current);
      checkDeployTemplate(next);
      const changes: DeployTemplateChanges = {};
      if (next.name !== current.name) changes.name = next.name;
      if (JSON.stringify(next.steps) !== JSON.stringify(current.steps)) changes.steps = next.steps;
      if (JSON.stringify(next.extra) !== JSON.stringify(current.extra)) changes.extra = next.extra;
      return changes;
    });
  }

  async delete(ident: string): Promise<void> {
    await this.repo.delete((await this.get(ident)).id);
  }
}
