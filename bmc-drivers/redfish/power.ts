import type { HealthState, PowerState, PowerTarget } from '../driver.js';
import { RedfishTimeoutError, RedfishUnsupportedError } from './errors.js';
import { systemSchema, systemStatusSchema } from './schemas.js';
import type { RedfishSystem } from './system-path.js';

/** Redfish PowerState to Anvil's; transitional states count as where they head. */
export const POWER_STATE_MAP: Readonly<Record<string, PowerState>> = {
  On: 'power on',
  PoweringOn: 'power on',
  Off: 'power off',
  PoweringOff: 'power off',
};

/** ResetTypes for each target, best first; the first the BMC allows is used. */
export const RESET_TYPE_MAP: Readonly<Record<PowerTarget, readonly string[]>> = {
  'power on': ['On', 'ForceOn'],
  'power off': ['ForceOff'],
  // Not every BMC lists ForceRestart; a power cycle reboots just as hard.
  rebooting: ['ForceRestart', 'PowerCycle'],
  'soft power off': ['GracefulShutdown'],
  'soft rebooting': ['GracefulRestart'],
};

/** The power state each target ends in. */
export const EXPECTED_POWER_STATE: Readonly<Record<PowerTarget, PowerState>> = {
  'power on': 'power on',
  'power off': 'power off',
  rebooting: 'power on',
  'soft power off': 'power off',
  'soft rebooting': 'power on',
};

/** How one Reset action waits for its result (the driver waits in a call of its own instead). */
export interface ResetWaitOptions {
  /** Wait until the BMC reports the expected state; 0 (default) returns after the action. */
  waitMs?: number;
  pollIntervalMs?: number;
}

/** The power state, or null when the BMC reports something unmapped. */
export async function getPowerState(system: RedfishSystem): Promise<PowerState | null> {
  const { body } = await system.client.getAs(system.path, systemSchema);
  return POWER_STATE_MAP[body.PowerState ?? ''] ?? null;
}

/** Redfish's Health values, the same words as Ironic's health states; Redfish defines no others. */
const HEALTH_STATES: readonly HealthState[] = ['OK', 'Warning', 'Critical'];

const systemWithStatusSchema = systemSchema.extend(systemStatusSchema.shape);

/**
 * The power state (null when unmapped) and the system's Status.Health, as
 * Ironic's get_node_health reads it, from one read of the System: null
 * when the BMC reports none or a value Redfish does not define. Not
 * HealthRollup: a node shows the verdict Ironic would show on the same BMC.
 */
export async function getPowerAndHealth(
  system: RedfishSystem,
): Promise<{ power: PowerState | null; health: HealthState | null }> {
  const { body } = await system.client.getAs(system.path, systemWithStatusSchema);
  const health = body.Status?.Health;
  return {
    power: POWER_STATE_MAP[body.PowerState ?? ''] ?? null,
    health: HEALTH_STATES.find((h) => h === health) ?? null,
  };
}

/**
 * Drives the system toward a power target. Returns the ResetType sent, or
 * null when the system was already there.
 */
export async function setPowerState(
  system: RedfishSystem,
  target: PowerTarget,
  options: ResetWaitOptions = {},
): Promise<string | null> {
  const { body } = await system.client.getAs(system.path, systemSchema);
  const current = POWER_STATE_MAP[body.PowerState ?? ''] ?? null;
  // Asking for the state the system is in is a no-op here: Dell iDRAC
  // answers 409 to On when the server is already on.
  if ((target === 'power on' || target === 'power off') && current === target) return null;
  // A reboot of a machine that is off is a power-on, as in Ironic.
  const effective: PowerTarget =
    (target === 'rebooting' || target === 'soft rebooting') && current === 'power off' ? 'power on' : target;
  const action = body.Actions?.['#ComputerSystem.Reset'];
  const allowed = action?.['ResetType@Redfish.AllowableValues'];
  const preferences = RESET_TYPE_MAP[effective];
  const resetType = allowed === undefined ? preferences[0] : preferences.find((p) => allowed.includes(p));
  if (resetType === undefined) {
    throw new RedfishUnsupportedError(`the BMC allows none of ${preferences.join(', ')} for ${effective}`);
  }
  await system.client.post(action?.target ?? `${system.path}/Actions/ComputerSystem.Reset`, { ResetType: resetType });
  if ((options.waitMs ?? 0) > 0)
    await waitForPower(system, EXPECTED_POWER_STATE[effective], options.waitMs ?? 0, options.pollIntervalMs ?? 1000);
  return resetType;
}

/** Polls until the BMC reports `expected`; RedfishTimeoutError after `waitMs`. */
export async function waitForPower(
  system: RedfishSystem,
  expected: PowerState,
  waitMs: number,
  pollIntervalMs: number,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  const interval = Math.max(10, pollIntervalMs);
  const maxPolls = Math.ceil(waitMs / interval) + 1;
  for (let poll = 0; poll < maxPolls && Date.now() < deadline; poll++) {
    if ((await getPowerState(system)) === expected) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, Math.max(0, deadline - Date.now()))));
  }
  throw new RedfishTimeoutError(`${system.path} did not reach ${expected} within ${waitMs} ms`, waitMs);
}
