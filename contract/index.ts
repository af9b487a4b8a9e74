// Ironic's wire vocabulary (and Anvil's own beside it), shared by the server and its HTTP clients. It imports nothing.
export { LABEL_KEY, LABEL_KEY_RULE } from './labels.js';
export { FAILURE_STATES, POWER_STATES, STABLE_STATES, TARGET_POWER_STATES, TRANSITIONAL_STATES } from './states.js';
export type {
  FailureState,
  PowerState,
  ProvisionState,
  StableState,
  TargetPowerState,
  TransitionalState,
} from './states.js';
