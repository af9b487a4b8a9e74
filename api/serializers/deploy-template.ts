import type { Request } from 'express';
import type { DeployTemplate } from '../../services/deploy-templates/index.js';
import { maskSecrets } from '../../services/secrets/index.js';
import type { Minor } from '../microversion.js';
import { project, type FieldVersions } from './fields.js';
import { resourceLinks } from './links.js';

export const DEPLOY_TEMPLATE_FIELD_VERSIONS: FieldVersions = {
  uuid: 55,
  name: 55,
  steps: 55,
  extra: 55,
  created_at: 55,
  updated_at: 55,
  links: 55,
};

export const DEPLOY_TEMPLATE_LIST_FIELDS = ['uuid', 'name'];

export function serializeDeployTemplate(
  template: DeployTemplate,
  req: Request,
  minor: Minor,
  only: readonly string[] | null = null,
) {
  const full: Record<string, unknown> = {
    uuid: template.uuid,
    name: template.name,
    // Step arguments may carry passwords: shown masked, as Ironic does.
    steps: template.steps.map((s) => ({
      interface: s.interface,
      step: s.step,
      args: maskSecrets(s.args),
      priority: s.priority,
    })),
    extra: template.extra,
    created_at: template.created_at,
    updated_at: template.updated_at,
    links: resourceLinks(req, 'deploy_templates', template.uuid),
  };
  return project(full, DEPLOY_TEMPLATE_FIELD_VERSIONS, minor, only);
}
