import {
  InvalidParameterValue,
  InvalidStateRequested,
  NodeInMaintenance,
  NodeLocked,
  NoValidHost,
} from '../errors.js';
import type { NodeHistory } from '../events/history.js';
import type { Logger } from '../logger.js';
import type { JsonObject, Node, NodeChanges, TargetPowerState } from '../nodes/model.js';
import type { NodeRepository } from '../nodes/repository.js';
import { FAILURE_STATES, isActionable, transition, type ProvisionEvent, type Verb } from '../nodes/states.js';
import type { HardwareRuntime, NodeTask } from './hardware-runtime.js';
import type { TaskRunner } from './task-runner.js';

export interface ProvisionRequest {
  verb: Verb;
  /** The API target as the client spelt it (`active`, `deleted`...), for messages. */
  target: string;
  configdrive?: string | JsonObject;
  cleanSteps?: JsonObject[];
  deploySteps?: JsonObject[];
  rescuePassword?: string;
}

const ABORT_MESSAGES: Record<string, string> = {
  'inspect wait': 'Inspection was aborted by request.',
  'clean wait': 'Clean operation aborted by request.',
  'clean hold': 'Clean operation aborted by request.',
  'wait call-back': 'Deploy operation aborted by request.',
  'deploy hold': 'Deploy operation aborted by request.',
  'rescue wait': 'Rescue operation aborted by request.',
  'service wait': 'Service operation aborted by request.',
  'service hold': 'Service operation aborted by request.',
};

const POWER_OFF_TARGETS: readonly TargetPowerState[] = ['power off', 'soft power off'];

/**
 * Accepts state changes the API validated, under the node's lock, and carries
 * them out in the background through the node's hardware runtime.
 */
export class Conductor {
  constructor(
    private readonly nodes: NodeRepository,
    private readonly runner: TaskRunner,
    private readonly runtimes: ReadonlyMap<string, HardwareRuntime>,
    private readonly history: NodeHistory,
    private readonly log: Logger,
  ) {}

  /** Whether this conductor can drive nodes of `driver` (false: requests get 400 NoValidHost). */
  supports(driver: string): boolean {
    return this.runtimes.has(driver);
  }

  async provision(node: Node, req: ProvisionRequest): Promise<void> {
    if ((req.verb === 'deploy' || req.verb === 'rebuild') && node.maintenance) {
      throw new NodeInMaintenance(
        `The ${req.target} action can not be performed on node ${node.uuid} while it is in maintenance mode.`,
      );
    }
    this.checkActionable(node, req.verb, req.target);
    const runtime = this.runtimeFor(node);
    const lease = await this.runner.acquire(node.id, node.uuid);
    let locked: Node;
    try {
      locked = await this.nodes.getById(node.id);
      this.checkActionable({ ...locked, reservation: null }, req.verb, req.target);
      const from = locked.provision_state;
      locked = await this.nodes.update(node.id, this.startChanges(locked, req));
      await this.history.record(node.id, {
        severity: 'INFO',
        event_type: 'provisioning',
        event: `Provision action "${req.target}" requested: ${from} -> ${locked.provision_state}`,
      });
    } catch (err) {
      await lease.release();
      throw err;
    }
    this.runner.spawn(lease, () => this.advance(locked, runtime));
  }

  async setPower(node: Node, target: TargetPowerState, timeoutSeconds: number | null): Promise<void> {
    if (node.provision_state === 'cleaning' || node.provision_state === 'clean wait') {
      throw new InvalidStateRequested(
        `The requested action "${target}" can not be performed on node "${node.uuid}" while it is in state "${node.provision_state}".`,
      );
    }
    if (node.disable_power_off && POWER_OFF_TARGETS.includes(target)) {
      throw new InvalidParameterValue(`Node ${node.uuid} has disable_power_off set: ${target} is refused.`);
    }
    const runtime = this.runtimeFor(node);
    const lease = await this.runner.acquire(node.id, node.uuid);
    let locked: Node;
    try {
      locked = await this.nodes.update(node.id, { target_power_state: target, last_error: null });
    } catch (err) {
      await lease.release();
      throw err;
    }
    this.runner.spawn(lease, async () => {
      const task = this.taskFor(locked);
      try {
        const reached = await runtime.setPower(task, target, timeoutSeconds);
        await task.update({ power_state: reached, target_power_state: null });
        await this.history.record(node.id, {
          severity: 'INFO',
          event_type: 'power',
          event: `Power "${target}" done: the node is ${reached}`,
        });
      } catch (err) {
        const error = `Failed to change power state to "${target}": ${messageOf(err)}`;
        await task.update({ target_power_state: null, last_error: error });
        await this.history.record(node.id, { severity: 'ERROR', event_type: 'power', event: error });
      }
    });
  }

  private runtimeFor(node: Node): HardwareRuntime {
    const runtime = this.runtimes.get(node.driver);
    if (!runtime) {
      throw new NoValidHost(
        `No valid host was found. Reason: No conductor service registered which supports driver ${node.driver} for conductor group "${node.conductor_group}".`,
      );
    }
    return runtime;
  }

  private checkActionable(node: Node, verb: Verb, target: string): void {
    if (isActionable(node.provision_state, verb)) return;
    // A busy node is "locked", not "in the wrong state": clients retry a 409.
    if (node.reservation !== null) throw new NodeLocked(node.uuid, node.reservation);
    throw new InvalidStateRequested(
      `The requested action "${target}" can not be performed on node "${node.uuid}" while it is in state "${node.provision_state}".`,
    );
  }

  private startChanges(node: Node, req: ProvisionRequest): NodeChanges {
    const next = transition(node.provision_state, req.verb, node.target_provision_state);
    const changes: NodeChanges = {
      provision_state: next.state,
      target_provision_state: next.target,
      provision_updated_at: new Date().toISOString(),
      last_error: req.verb === 'abort' ? (ABORT_MESSAGES[node.provision_state] ?? 'Aborted by request.') : null,
    };
    if (req.verb === 'inspect') changes.inspection_started_at = changes.provision_updated_at!;
    if (req.configdrive !== undefined) changes.instance_info = { ...node.instance_info, configdrive: req.configdrive };
    const internal: JsonObject = { ...node.driver_internal_info };
    if (req.cleanSteps !== undefined) internal.clean_steps = req.cleanSteps;
    if (req.deploySteps !== undefined) internal.user_deploy_steps = req.deploySteps;
    if (req.rescuePassword !== undefined) changes.instance_info = { ...node.instance_info, rescue_password: req.rescuePassword };
    if (req.cleanSteps !== undefined || req.deploySteps !== undefined) changes.driver_internal_info = internal;
    return changes;
  }

  private async advance(node: Node, runtime: HardwareRuntime): Promise<void> {
    const task = this.taskFor(node);
    try {
      await runtime.advance(task);
    } catch (err) {
      this.log.warn({ err, node_uuid: node.uuid }, 'provisioning step failed');
      if (isActionable(task.node.provision_state, 'fail')) {
        await task.fire('fail', { last_error: messageOf(err) });
      }
    }
  }

  private taskFor(initial: Node): NodeTask {
    const { nodes, history } = this;
    let node = initial;
    return {
      get node() {
        return node;
      },
      async fire(event: ProvisionEvent, changes: NodeChanges = {}) {
        const next = transition(node.provision_state, event, node.target_provision_state);
        const now = new Date().toISOString();
        const extra: NodeChanges = {};
        if (node.provision_state === 'inspecting' || node.provision_state === 'inspect wait') {
          extra.inspection_finished_at = now;
        }
        const from = node.provision_state;
        node = await nodes.update(node.id, {
          ...extra,
          ...changes,
          provision_state: next.state,
          target_provision_state: next.target,
          provision_updated_at: now,
        });
        const failed = (FAILURE_STATES as readonly string[]).includes(next.state) || event === 'fail';
        await history.record(node.id, {
          severity: failed ? 'ERROR' : 'INFO',
          event_type: 'provisioning',
          event: `${from} -> ${next.state} (${event})${failed && node.last_error ? `: ${node.last_error}` : ''}`,
        });
      },
      async update(changes: NodeChanges) {
        node = await nodes.update(node.id, changes);
      },
    };
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
