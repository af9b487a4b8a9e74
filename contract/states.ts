// Ironic's state names as they travel on the wire (ironic/common/states.py):
// the vocabulary that the API serves and its clients read. Names only; which
// transitions are allowed is the state machine's business (services/nodes).

/** Provision states a node rests in until someone asks for a change. */
export const STABLE_STATES = ['enroll', 'manageable', 'available', 'active', 'error', 'rescue'] as const;
/** Provision states a node rests in after an operation failed. */
export const FAILURE_STATES = [
  'deploy failed',
  'clean failed',
  'inspect failed',
  'rescue failed',
  'unrescue failed',
  'adopt failed',
  'service failed',
] as const;
/** Provision states a node passes through while a conductor works on it. */
export const TRANSITIONAL_STATES = [
  'verifying',
  'inspecting',
  'inspect wait',
  'cleaning',
  'clean wait',
  'clean hold',
  'deploying',
  'wait call-back',
  'deploy hold',
  'deleting',
  'adopting',
  'rescuing',
  'rescue wait',
  'unrescuing',
  'servicing',
  'service wait',
  'service hold',
] as const;

export type StableState = (typeof STABLE_STATES)[number];
export type FailureState = (typeof FAILURE_STATES)[number];
export type TransitionalState = (typeof TRANSITIONAL_STATES)[number];
export type ProvisionState = StableState | FailureState | TransitionalState;

/** A node's `power_state` (null on the wire while it is unknown). */
export const POWER_STATES = ['power on', 'power off'] as const;
export type PowerState = (typeof POWER_STATES)[number];

/** What `PUT /v1/nodes/{id}/states/power` accepts as `target`, and `target_power_state` shows. */
export const TARGET_POWER_STATES = [...POWER_STATES, 'rebooting', 'soft power off', 'soft rebooting'] as const;
export type TargetPowerState = (typeof TARGET_POWER_STATES)[number];
