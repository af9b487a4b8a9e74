import type { JsonObject } from '../nodes/index.js';

/** The interfaces that offer deploy steps, in Ironic's order (conductor/steps.py DEPLOYING_INTERFACE_PRIORITY). */
export const DEPLOY_STEP_INTERFACES = ['vendor', 'power', 'management', 'firmware', 'deploy', 'bios', 'raid'] as const;
export type DeployStepInterface = (typeof DEPLOY_STEP_INTERFACES)[number];

export interface DeployStep {
  interface: DeployStepInterface;
  step: string;
  args: JsonObject;
  /** Order among the deploy's steps, highest first; 0 leaves the step out. */
  priority: number;
}

/**
 * Ironic's deploy template: named like a trait, it adds its steps to the
 * deploy of a node whose instance_info traits hold that name.
 */
export interface DeployTemplate {
  id: number;
  uuid: string;
  name: string;
  steps: DeployStep[];
  extra: JsonObject;
  created_at: string;
  updated_at: string | null;
}

export type DeployTemplateChanges = Partial<Pick<DeployTemplate, 'name' | 'steps' | 'extra'>>;
