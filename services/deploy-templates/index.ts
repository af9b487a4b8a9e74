export { DEPLOY_STEP_INTERFACES, type DeployTemplate } from './model.js';
export { DEPLOY_TEMPLATE_SORT_KEYS, DeployTemplateRepository } from './repository.js';
export { DEPLOY_TEMPLATE_PATCHABLE_FIELDS, DeployTemplateService } from './service.js';
