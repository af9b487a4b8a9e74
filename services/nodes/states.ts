/**
 * Ironic's provision state machine as one pure table (ironic/common/states.py).
 * Nothing else in Anvil decides whether a transition is allowed.
 */

import {
  FAILURE_STATES,
  STABLE_STATES,
  TRANSITIONAL_STATES,
  type FailureState,
  type ProvisionState,
  type StableState,
  type TransitionalState,
} from '../../contract/index.js';

export { FAILURE_STATES, STABLE_STATES, TRANSITIONAL_STATES };
export type { FailureState, ProvisionState, StableState, TransitionalState };

export const ALL_STATES: readonly ProvisionState[] = [...STABLE_STATES, ...FAILURE_STATES, ...TRANSITIONAL_STATES];

/** Events a user can ask for through `PUT /v1/nodes/{id}/states/provision`. */
export const VERBS = [
  'manage',
  'provide',
  'inspect',
  'clean',
  'adopt',
  'deploy',
  'rebuild',
  'delete',
  'abort',
  'rescue',
  'unrescue',
  'unhold',
  'service',
] as const;
export type Verb = (typeof VERBS)[number];

/** Events only the conductor raises as work progresses. */
export const INTERNAL_EVENTS = ['done', 'fail', 'wait', 'resume', 'hold'] as const;
export type InternalEvent = (typeof INTERNAL_EVENTS)[number];
export type ProvisionEvent = Verb | InternalEvent;

type Table = Record<ProvisionState, Partial<Record<ProvisionEvent, ProvisionState>>>;

const TRANSITIONS: Table = {
  enroll: { manage: 'verifying' },
  verifying: { done: 'manageable', fail: 'enroll' },
  manageable: { provide: 'cleaning', clean: 'cleaning', inspect: 'inspecting', adopt: 'adopting' },
  inspecting: { done: 'manageable', wait: 'inspect wait', fail: 'inspect failed' },
  'inspect wait': { done: 'manageable', resume: 'inspecting', fail: 'inspect failed', abort: 'inspect failed' },
  'inspect failed': { manage: 'manageable', inspect: 'inspecting' },
  // A manual clean (target manageable) ends with `manage`; automated cleaning with `done`.
  cleaning: { done: 'available', manage: 'manageable', wait: 'clean wait', hold: 'clean hold', fail: 'clean failed' },
  'clean wait': { resume: 'cleaning', hold: 'clean hold', fail: 'clean failed', abort: 'clean failed' },
  'clean hold': { unhold: 'clean wait', abort: 'clean failed' },
  'clean failed': { manage: 'manageable' },
  available: { deploy: 'deploying', manage: 'manageable' },
  deploying: { wait: 'wait call-back', hold: 'deploy hold', done: 'active', fail: 'deploy failed' },
  'wait call-back': {
    resume: 'deploying',
    hold: 'deploy hold',
    fail: 'deploy failed',
    abort: 'deploy failed',
    delete: 'deleting',
  },
  'deploy hold': { unhold: 'wait call-back', abort: 'deploy failed' },
  'deploy failed': { deploy: 'deploying', rebuild: 'deploying', delete: 'deleting' },
  active: { rebuild: 'deploying', delete: 'deleting', rescue: 'rescuing', service: 'servicing' },
  deleting: { clean: 'cleaning', fail: 'error' },
  error: { rebuild: 'deploying', delete: 'deleting' },
  adopting: { done: 'active', fail: 'adopt failed' },
  'adopt failed': { adopt: 'adopting', manage: 'manageable' },
  rescuing: { done: 'rescue', wait: 'rescue wait', fail: 'rescue failed' },
  'rescue wait': { resume: 'rescuing', fail: 'rescue failed', abort: 'rescue failed', delete: 'deleting' },
  rescue: { rescue: 'rescuing', unrescue: 'unrescuing', delete: 'deleting' },
  'rescue failed': { rescue: 'rescuing', unrescue: 'unrescuing', delete: 'deleting' },
  'unrescue failed': { rescue: 'rescuing', unrescue: 'unrescuing', delete: 'deleting' },
  unrescuing: { done: 'active', fail: 'unrescue failed' },
  servicing: { done: 'active', wait: 'service wait', hold: 'service hold', fail: 'service failed' },
  'service wait': {
    resume: 'servicing',
    hold: 'service hold',
    fail: 'service failed',
    abort: 'service failed',
    delete: 'deleting',
  },
  'service hold': { service: 'servicing', unhold: 'service wait', fail: 'service failed', abort: 'service failed' },
  'service failed': {
    service: 'servicing',
    rescue: 'rescuing',
    wait: 'service wait',
    hold: 'service hold',
    delete: 'deleting',
    abort: 'active',
  },
};

/** The stable state a verb aims for: what `target_provision_state` shows while it runs. */
const VERB_TARGETS: Partial<Record<Verb, ProvisionState>> = {
  manage: 'manageable',
  provide: 'available',
  inspect: 'manageable',
  clean: 'manageable',
  adopt: 'active',
  deploy: 'active',
  rebuild: 'active',
  delete: 'available',
  rescue: 'rescue',
  unrescue: 'active',
  service: 'active',
};

export function isStable(state: ProvisionState): boolean {
  return (STABLE_STATES as readonly string[]).includes(state) || (FAILURE_STATES as readonly string[]).includes(state);
}

export function isProvisionState(value: string): value is ProvisionState {
  return (ALL_STATES as readonly string[]).includes(value);
}

export function isActionable(state: ProvisionState, event: ProvisionEvent): boolean {
  return TRANSITIONS[state][event] !== undefined;
}

export interface Transition {
  state: ProvisionState;
  target: ProvisionState | null;
}

export class InvalidTransition extends Error {
  override readonly name = 'InvalidTransition';
  constructor(
    readonly from: ProvisionState,
    readonly event: ProvisionEvent,
  ) {
    super(`The requested action "${event}" can not be performed on a node in state "${from}".`);
  }
}

/**
 * The state and target after `event`. A stable or failed state has no target;
 * a verb that starts work sets its own; internal events (wait, resume, hold...)
 * keep the target of the work in progress.
 */
export function transition(from: ProvisionState, event: ProvisionEvent, target: ProvisionState | null): Transition {
  const to = TRANSITIONS[from][event];
  if (to === undefined) throw new InvalidTransition(from, event);
  if (isStable(to)) return { state: to, target: null };
  const verbTarget = (VERBS as readonly string[]).includes(event) ? VERB_TARGETS[event as Verb] : undefined;
  // Cleaning reached from `deleting` is still the tail of an undeploy: it ends in available.
  if (from === 'deleting') return { state: to, target: 'available' };
  return { state: to, target: verbTarget ?? target };
}

/** Events the table accepts in `state`, in a stable order. */
export function eventsFrom(state: ProvisionState): ProvisionEvent[] {
  return Object.keys(TRANSITIONS[state]) as ProvisionEvent[];
}

// Sets of states with a meaning elsewhere (DELETE, PATCH).
/** `available` is included as Ironic's allow_deleting_available_nodes=True does. */
export const DELETE_ALLOWED_STATES: readonly ProvisionState[] = ['manageable', 'enroll', 'adopt failed', 'available'];
/** Transitional or failed states in which PATCH is still allowed while a target is set. */
/** Where a node's ports and port groups may be rewired (connectivity, group, node), as in Ironic; or in maintenance. */
export const PORT_CHANGE_STATES: readonly ProvisionState[] = ['enroll', 'inspecting', 'inspect wait', 'manageable'];

export const UPDATE_ALLOWED_STATES: readonly ProvisionState[] = [
  'deploy failed',
  'inspecting',
  'inspect failed',
  'inspect wait',
  'clean failed',
  'error',
  'verifying',
  'adopt failed',
  'rescue failed',
  'unrescue failed',
  'service hold',
  'service failed',
];
/** States in which a node may be made protected: it holds a deployed instance. */
export const PROTECTABLE_STATES: readonly ProvisionState[] = ['active', 'rescue'];
/** States in which a node's interfaces may change (else 409 unless in maintenance). */
export const INTERFACE_CHANGE_STATES: readonly ProvisionState[] = [
  'enroll',
  'inspecting',
  'inspect wait',
  'manageable',
  'available',
];
