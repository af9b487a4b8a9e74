export {
  describeStep,
  offeredSteps,
  reservedStep,
  RESERVED_STEPS,
  type ReservedStep,
  type StepDefinition,
  type StepFlow,
} from './catalog.js';
export { findStep, MAX_WAIT_STEP_SECONDS, userStepsProblem } from './validate.js';
export { runOutOfBandStep, type OutOfBandLimits } from './out-of-band.js';
export {
  CLEAN_KEYS,
  DEPLOY_KEYS,
  runSequence,
  SERVICE_KEYS,
  type SequenceHooks,
  type SequenceKeys,
} from './sequence.js';
export { StepFailure } from './step-failure.js';
export {
  AGENT_DEPLOY_INTERFACES,
  conductorDeployStep,
  deployPlan,
  DeployPlanError,
  deployStepsProblem,
  inBandDeployStep,
  type ConductorDeployStep,
} from './deploy-plan.js';
export { type FlowContext, type FlowSteps } from './flow-context.js';
export { describeAgentError, describeCause, during, failureMessage, stepLabel } from './step-wording.js';
export { type StepTask } from './sequence.js';
