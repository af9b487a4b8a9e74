import { InvalidDeployTemplate, InvalidParameterValue } from '../errors.js';
import { checkTrait } from '../nodes/index.js';
import type { DeployStep } from './model.js';

/**
 * Ironic's rules for a template, on creation and after every patch: the
 * name is a valid trait, and there is at least one step and no two for the
 * same interface and step.
 */
export function checkDeployTemplate(template: { name: string; steps: readonly DeployStep[] }): void {
  try {
    checkTrait(template.name);
  } catch (err) {
    if (err instanceof InvalidParameterValue)
      throw new InvalidParameterValue(`Deploy template name must be a valid trait: ${err.message}`);
    throw err;
  }
  if (template.steps.length === 0) {
    throw new InvalidDeployTemplate('No deploy steps specified. A deploy template must have at least one deploy step');
  }
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const s of template.steps) {
    const key = `interface: ${s.interface}, step: ${s.step}`;
    if (seen.has(key)) duplicates.add(key);
    seen.add(key);
  }
  if (duplicates.size > 0) {
    throw new InvalidDeployTemplate(
      'Duplicate deploy steps. A deploy template cannot have multiple deploy steps with the same interface ' +
        `and step. Duplicates: ${[...duplicates].join('; ')}`,
    );
  }
}
