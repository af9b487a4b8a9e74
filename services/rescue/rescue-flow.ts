import { UnsupportedOperation, type BmcDriver } from '../../bmc-drivers/index.js';
import { agentSession, withoutSession } from '../agent/index.js';
import { validateNodeInterfaces, type ValidationEnv } from '../drivers/index.js';
import { InvalidParameterValue, UnsupportedDriverExtension, type AnvilError } from '../errors.js';
import { bootModeOf, type JsonObject, type Node, type Verb } from '../nodes/index.js';
import { describeAgentError, StepFailure, type FlowContext, type FlowSteps, type StepTask } from '../steps/index.js';
import { hashRescuePassword } from './rescue-password.js';

/** Where a rescue keeps its password in instance_info: as given, then only its hash (Ironic's names). */
const PASSWORD_KEYS = ['rescue_password', 'hashed_rescue_password'] as const;

/**
 * Ironic's agent rescue on Redfish and IPMI hardware. `rescuing` powers the
 * machine off and network-boots the rescue ramdisk, then waits (`rescue
 * wait`); the agent's first heartbeat brings the node back to `rescuing`,
 * where the agent is handed the password's hash (`rescue.finalize_rescue`),
 * after which it closes its API and stops heartbeating, and the node is in
 * `rescue`. `unrescuing` boots the instance from its disk again, to `active`.
 * The password leaves instance_info once the agent has it, or the rescue failed.
 */
export class RescueFlow {
  readonly steps: FlowSteps = {
    rescuing: (t, d) => this.rescue(t, d),
    unrescuing: (t, d) => this.unrescue(t, d),
  };

  constructor(private readonly ctx: FlowContext) {}

  private async rescue(task: StepTask, driver: BmcDriver): Promise<void> {
    if (agentSession(task.node) === null) {
      try {
        await this.bootRescueRamdisk(task, driver);
      } catch (err) {
        await task.update({ instance_info: withoutRescuePassword(task.node) });
        throw failure('Failed to rescue', err);
      }
      return;
    }
    await this.finalize(task, driver);
  }

  /** Ironic's AgentRescue.unrescue: off, the instance's disk as the boot device, on again. */
  private async unrescue(task: StepTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    try {
      const mode = bootModeOf(node);
      if (node.disable_power_off) {
        // The rescue ISO (virtual media) leaves first, so the reset boots the disk, not the rescue again.
        await this.ctx.ejectAgentMedia(node, driver);
        await driver.management.setBootDevice('disk', { persistent: true, mode });
        await driver.power.setPowerState('rebooting');
      } else {
        await driver.power.setPowerState('power off');
        await this.ctx.ejectAgentMedia(node, driver);
        await driver.management.setBootDevice('disk', { persistent: true, mode });
        await driver.power.setPowerState('power on');
      }
    } catch (err) {
      throw failure('Failed to unrescue', err);
    }
    await task.fire('done', {
      power_state: 'power on',
      instance_info: withoutRescuePassword(node),
      driver_internal_info: withoutSession(node),
    });
  }

  private async bootRescueRamdisk(task: StepTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    await this.ctx.mayStart(node, 'rescue');
    // From here on only the hash is kept: it is all the agent needs, and the plain password is stored nowhere.
    await task.update({ instance_info: withHashedPassword(node) });
    // Off first, as Ironic's power_off_and_on, so the ramdisk comes up from a cold boot; bootAgent powers it on.
    if (!node.disable_power_off) await driver.power.setPowerState('power off');
    await this.ctx.bootAgent(task, driver);
    await task.fire('wait');
  }

  /** Ironic's _finalize_rescue; a failure powers the machine off, as its rescuing_error_handler does. */
  private async finalize(task: StepTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    const session = agentSession(node)!;
    const hash = node.instance_info.hashed_rescue_password;
    let problem: string | null = null;
    if (typeof hash !== 'string' || hash === '') {
      problem = 'Agent rescue requires rescue_password in instance_info';
    } else {
      try {
        // A synchronous command in IPA: its answer already says how it went.
        const command = await this.ctx.agent.execute(session.url, session.token, 'rescue.finalize_rescue', {
          rescue_password: hash,
          hashed: true,
        });
        if (command.command_status !== 'SUCCEEDED')
          problem = `Agent returned bad result for command finalize_rescue: ${describeAgentError(command.command_error)}`;
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
    }
    if (problem === null) {
      // Ironic's rescue clean_up: the ramdisk runs from memory now; its ISO leaves the drive and the boot server.
      await this.ctx
        .ejectAgentMedia(node, driver)
        .catch((err: unknown) =>
          this.ctx.warn(
            node,
            `The rescue ramdisk's boot media could not be removed: ${err instanceof Error ? err.message : String(err)}`,
          ),
        );
      await task.fire('done', {
        instance_info: withoutRescuePassword(task.node),
        driver_internal_info: withoutSession(task.node),
      });
      return;
    }
    const reason = `Node failed to perform rescue operation: Failed to rescue instance ${node.instance_uuid ?? 'None'} for node ${node.uuid}: ${problem}`;
    await task.update({ instance_info: withoutRescuePassword(node), driver_internal_info: withoutSession(node) });
    if (node.disable_power_off) throw new StepFailure(reason);
    try {
      await driver.power.setPowerState('power off');
      await task.update({ power_state: 'power off' });
    } catch (err) {
      throw new StepFailure(
        `${reason}; Rescue operation was unsuccessful, clean up failed for node: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    throw new StepFailure(reason);
  }
}

/**
 * Refused before the request is accepted, in Ironic's words: a node whose
 * rescue interface is not the agent's (no-rescue) cannot be rescued or
 * unrescued at all; a rescue must pass the power and rescue interfaces'
 * validation with the password it brings (do_node_rescue's "Validation
 * failed"), so one that could not boot its ramdisk is a 400 at once.
 */
export function rescueRefusal(
  node: Node,
  request: { verb: Verb; rescuePassword?: string },
  env: ValidationEnv,
): AnvilError | null {
  if (node.rescue_interface !== 'agent') return new UnsupportedDriverExtension(node.driver, 'rescue');
  if (request.verb !== 'rescue') return null;
  const results = validateNodeInterfaces(
    {
      ...node,
      instance_info: { ...withoutRescuePassword(node), rescue_password: request.rescuePassword ?? null },
    },
    env,
  );
  for (const iface of ['power', 'rescue']) {
    const result = results[iface];
    if (result && !result.result)
      return new InvalidParameterValue(
        `Failed to rescue instance ${node.instance_uuid ?? 'None'} for node ${node.uuid}: Validation failed: ${result.reason ?? `the ${iface} interface does not validate`}`,
      );
  }
  return null;
}

/** instance_info without the rescue password and its hash (Ironic's remove_node_rescue_password). */
export function withoutRescuePassword(node: Node): JsonObject {
  const info: JsonObject = { ...node.instance_info };
  for (const key of PASSWORD_KEYS) delete info[key];
  return info;
}

/** instance_info with the plain password swapped for its hash; as it is when that was done already. */
function withHashedPassword(node: Node): JsonObject {
  const { rescue_password: plain, ...info } = node.instance_info;
  if (typeof plain !== 'string') return node.instance_info;
  return { ...info, hashed_rescue_password: hashRescuePassword(plain) };
}

/** A failure worded for the operator as it is; any other prefixed with what was being done, as Ironic's handle_failure. */
function failure(lead: string, err: unknown): StepFailure | UnsupportedOperation {
  if (err instanceof StepFailure || err instanceof UnsupportedOperation) return err;
  return new StepFailure(`${lead}: ${err instanceof Error ? err.message : String(err)}`);
}
