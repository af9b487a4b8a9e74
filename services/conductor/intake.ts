import {
  InvalidParameterValue,
  InvalidState,
  InvalidStateRequested,
  NodeInMaintenance,
  NoFreeConductorWorker,
  NodeProtected,
  NoValidHost,
} from '../errors.js';
import { type AgentCheckIn, agentSession, revokeAgentOnExit, withoutSession } from '../agent/index.js';
import { requireConsole } from '../drivers/index.js';
import type { NodeHistory } from '../events/index.js';
import {
  type JsonObject,
  type Node,
  type NodeChanges,
  type TargetPowerState,
  type NodeRepository,
  isActionable,
  transition,
  type ProvisionState,
  type Verb,
  type NodeLocks,
} from '../nodes/index.js';
import { withConsoleTarget } from './console.js';
import type { HardwareRuntime } from './hardware-runtime.js';
import type { Placement } from './placement.js';
import { withoutRescuePassword } from '../rescue/index.js';
import type { Worker } from './worker.js';

export interface ProvisionRequest {
  verb: Verb;
  /** The API target as the client spelt it (`active`, `deleted`...), for messages. */
  target: string;
  configdrive?: string | JsonObject;
  cleanSteps?: JsonObject[];
  deploySteps?: JsonObject[];
  serviceSteps?: JsonObject[];
  /** Clean (1.70) or service (1.108) without booting the ramdisk: every step must be out-of-band. */
  disableRamdisk?: boolean;
  rescuePassword?: string;
  /**
   * Only while the node's instance_uuid is this one, checked under the lock
   * the request takes: a machine deploys the host it claimed, never one
   * given to another instance since it last looked.
   */
  instanceUuid?: string;
}

const ABORT_MESSAGES: Record<string, string> = {
  'inspect wait': 'Inspection was aborted by request.',
  'clean wait': 'Clean operation aborted by request.',
  'clean hold': 'Clean operation aborted by request.',
  'deploy hold': 'Deploy operation aborted by request.',
  'rescue wait': 'Rescue operation aborted by request.',
  'service wait': 'Service operation aborted by request.',
  'service hold': 'Service operation aborted by request.',
};

/** Verbs Ironic refuses on a node in maintenance (NodeInMaintenance). */
const MAINTENANCE_REFUSED: readonly Verb[] = ['deploy', 'rebuild', 'service', 'rescue', 'unrescue'];

const POWER_OFF_TARGETS: readonly TargetPowerState[] = ['power off', 'soft power off'];

/** Waits during which the machine runs the ramdisk agent. */
const RAMDISK_WAITS: readonly ProvisionState[] = [
  'inspect wait',
  'clean wait',
  'wait call-back',
  'rescue wait',
  'service wait',
];

export interface IntakeDeps {
  nodes: NodeRepository;
  locks: NodeLocks;
  placement: Placement;
  history: NodeHistory;
  /** How each driver's nodes are driven, by driver name: which it can drive, and what each refuses. */
  runtimes: ReadonlyMap<string, Pick<HardwareRuntime, 'refusal'>>;
  /** The worker in this process, when it runs a conductor too. */
  local: Worker | null;
}

/**
 * Where the API hands work to the conductors (DESIGN decision 4): a request
 * is checked and written as intent under the node's lock, and the lock is
 * passed, still held, to the conductor that owns the node on the hash ring.
 * The node therefore answers 409 NodeLocked from the moment the request is
 * accepted until that conductor has finished the step.
 */
export class Intake implements AgentCheckIn {
  constructor(private readonly deps: IntakeDeps) {}

  /** Whether the conductors can drive nodes of `driver` (false: requests get 400 NoValidHost). */
  supports(driver: string): boolean {
    return this.deps.runtimes.has(driver);
  }

  async provision(node: Node, req: ProvisionRequest): Promise<void> {
    await this.handOver(
      node,
      (fresh) => {
        if (MAINTENANCE_REFUSED.includes(req.verb) && fresh.maintenance) {
          throw new NodeInMaintenance(
            `The ${req.target} action can not be performed on node ${fresh.uuid} while it is in maintenance mode.`,
          );
        }
        if (!isActionable(fresh.provision_state, req.verb)) {
          throw new InvalidStateRequested(
            `The requested action "${req.target}" can not be performed on node "${fresh.uuid}" while it is in state "${fresh.provision_state}".`,
          );
        }
        // Under the lock: a node protected while this request was on its way is not torn down.
        if (fresh.protected && (req.verb === 'delete' || req.verb === 'rebuild')) throw new NodeProtected(fresh.uuid);
        if (req.instanceUuid !== undefined && fresh.instance_uuid !== req.instanceUuid) {
          throw new InvalidState(
            `Node ${fresh.uuid} is no longer associated with instance ${req.instanceUuid}; the ${req.target} action is not carried out.`,
          );
        }
        const refusal = this.deps.runtimes.get(fresh.driver)?.refusal?.(fresh, req) ?? null;
        if (refusal !== null) throw refusal;
        return startChanges(fresh, req);
      },
      (before, after) => ({
        severity: 'INFO',
        event_type: 'provisioning',
        event: `Provision action "${req.target}" requested: ${before.provision_state} -> ${after.provision_state}`,
      }),
    );
  }

  async setPower(node: Node, target: TargetPowerState, timeoutSeconds: number | null): Promise<void> {
    await this.handOver(
      node,
      (fresh) => {
        if (fresh.provision_state === 'cleaning' || fresh.provision_state === 'clean wait') {
          throw new InvalidStateRequested(
            `The requested action "${target}" can not be performed on node "${fresh.uuid}" while it is in state "${fresh.provision_state}".`,
          );
        }
        if (fresh.disable_power_off && POWER_OFF_TARGETS.includes(target)) {
          throw new InvalidParameterValue(`Node ${fresh.uuid} has disable_power_off set: ${target} is refused.`);
        }
        const internal: JsonObject = { ...fresh.driver_internal_info };
        if (timeoutSeconds !== null) internal.power_timeout = timeoutSeconds;
        else delete internal.power_timeout;
        return { target_power_state: target, last_error: null, driver_internal_info: internal };
      },
      null,
    );
  }

  /**
   * Starts or stops the node's console (Ironic's set_console_mode): a console
   * interface that serves none is refused at once, the state the console is
   * already in asks for nothing, and any other request is carried out by the
   * owning conductor, which sets console_enabled when done.
   */
  async setConsole(node: Node, enabled: boolean): Promise<void> {
    await this.handOver(
      node,
      (fresh) => {
        requireConsole(fresh);
        if (fresh.console_enabled === enabled) return { changes: {}, work: false };
        return { last_error: null, driver_internal_info: withConsoleTarget(fresh, enabled) };
      },
      null,
    );
  }

  /**
   * A ramdisk agent checked in (a heartbeat, or inspection data): write what
   * it said, and when the node waits in one of `resumeFrom`, move it on
   * (`resume`) and hand it to its conductor.
   */
  async agentCheckedIn(
    node: Node,
    resumeFrom: readonly ProvisionState[],
    record: (fresh: Node) => NodeChanges,
  ): Promise<void> {
    await this.handOver(
      node,
      (fresh) => {
        const changes = record(fresh);
        if (!resumeFrom.includes(fresh.provision_state)) return { changes, work: false };
        const next = transition(fresh.provision_state, 'resume', fresh.target_provision_state);
        return {
          changes: {
            ...changes,
            provision_state: next.state,
            target_provision_state: next.target,
            provision_updated_at: new Date().toISOString(),
          },
          work: true,
        };
      },
      (before, after) =>
        before.provision_state === after.provision_state
          ? null
          : {
              severity: 'INFO',
              event_type: 'provisioning',
              event: `${before.provision_state} -> ${after.provision_state} (resume): the agent checked in`,
            },
    );
  }

  /**
   * Takes the lock (409 when busy), re-reads the node, lets `decide` check it
   * and say what changes, then writes the changes and the new lock holder in
   * one UPDATE. On any refusal the lock is released and nothing is written;
   * when `decide` says there is no work, the changes are written with the
   * lock's release, also in one UPDATE.
   */
  private async handOver(
    node: Node,
    decide: (fresh: Node) => NodeChanges | { changes: NodeChanges; work: boolean },
    describe: ((before: Node, after: Node) => Parameters<NodeHistory['record']>[1] | null) | null,
  ): Promise<void> {
    if (!this.supports(node.driver)) {
      throw new NoValidHost(
        `No valid host was found. Reason: No conductor service registered which supports driver ${node.driver} for conductor group "${node.conductor_group}".`,
      );
    }
    // The node as the lock's own UPDATE read it: what `decide` sees is what no one else can now change.
    const fresh = await this.deps.locks.acquire(node.id, node.uuid);
    let handedTo: Node | null = null;
    let released = false;
    try {
      const decision = decide(fresh);
      const { changes: decided, work } = 'work' in decision ? decision : { changes: decision, work: true };
      const changes = revokeAgentOnExit(fresh, decided);
      if (!work) {
        if (Object.keys(changes).length > 0) {
          // The changes and the lock's release in one UPDATE (an agent's every heartbeat comes this way).
          await this.deps.nodes.update(fresh.id, { ...changes, reservation: null });
          released = true;
        }
        return;
      }
      const owner = await this.deps.placement.ownerOf(fresh.uuid, fresh.conductor_group);
      if (owner === this.deps.local?.name && !this.deps.local.hasCapacity()) throw new NoFreeConductorWorker();
      // The hand-over and its history entry commit together; the entry describes the node as these changes leave it.
      const entry = describe?.(fresh, { ...fresh, ...changes }) ?? null;
      handedTo = await this.deps.nodes.update(
        fresh.id,
        { ...changes, reservation: owner },
        entry === null ? undefined : this.deps.history.rowsFor([entry]),
      );
    } finally {
      if (handedTo === null && !released) await this.deps.nodes.release(node.id, this.deps.locks.holder);
    }
    if (handedTo.reservation === this.deps.local?.name) this.deps.local.kick(handedTo);
  }
}

function startChanges(node: Node, req: ProvisionRequest): NodeChanges {
  const next = transition(node.provision_state, req.verb, node.target_provision_state);
  // A verb that starts work starts a new agent session: the last agent's URL, token and progress go.
  // Abort and unhold act on the running session.
  const keepsSession = req.verb === 'abort' || req.verb === 'unhold';
  const internal: JsonObject = keepsSession ? { ...node.driver_internal_info } : withoutSession(node);
  const changes: NodeChanges = {
    provision_state: next.state,
    target_provision_state: next.target,
    provision_updated_at: new Date().toISOString(),
    last_error: req.verb === 'abort' ? (ABORT_MESSAGES[node.provision_state] ?? 'Aborted by request.') : null,
    driver_internal_info: internal,
  };
  if (req.verb === 'inspect') changes.inspection_started_at = changes.provision_updated_at!;
  // An aborted wait leaves the ramdisk running on the machine: power it off, as Ironic does.
  if (req.verb === 'abort' && node.provision_state === 'wait call-back') {
    return { ...changes, ...deployWaitAbort(node) };
  }
  if (req.verb === 'abort' && RAMDISK_WAITS.includes(node.provision_state)) changes.target_power_state = 'power off';
  const instanceInfo: JsonObject = { ...node.instance_info };
  if (req.configdrive !== undefined) instanceInfo.configdrive = req.configdrive;
  if (req.rescuePassword !== undefined) instanceInfo.rescue_password = req.rescuePassword;
  if (req.configdrive !== undefined || req.rescuePassword !== undefined) changes.instance_info = instanceInfo;
  // Ironic's rescue abort cleans up: the password goes with the rescue.
  if (req.verb === 'abort' && node.provision_state === 'rescue wait')
    changes.instance_info = withoutRescuePassword(node);
  if (req.cleanSteps !== undefined) {
    internal.clean_steps = req.cleanSteps;
    internal.clean_disable_ramdisk = req.disableRamdisk ?? false;
  }
  if (req.verb === 'deploy' || req.verb === 'rebuild') {
    // Each deploy runs the steps it names, none left from an earlier one (Ironic's wipe_deploy_internal_info).
    delete internal.deploy_steps;
    delete internal.deploy_step_index;
    delete internal.deploy_agent_torn_down;
    if (req.deploySteps !== undefined) internal.user_deploy_steps = req.deploySteps;
    else delete internal.user_deploy_steps;
  }
  if (req.serviceSteps !== undefined) {
    internal.service_steps = req.serviceSteps;
    internal.service_disable_ramdisk = req.disableRamdisk ?? false;
    delete internal.service_step_index;
  }
  if (req.verb === 'unhold' && agentSession(node) === null) {
    // With no agent running, no heartbeat would end the wait unhold leads to: the steps go on now.
    const resumed = transition(next.state, 'resume', next.target);
    changes.provision_state = resumed.state;
    changes.target_provision_state = resumed.target;
  }
  return changes;
}

/**
 * Aborting a deployment in wait call-back (API 1.110), as Ironic's
 * do_node_deploy_abort: the deployment's progress and agent session are
 * wiped, the step is named in last_error, and the machine is left powered
 * (deploy failed, no cleaning) for the operator to look at or deploy again.
 */
function deployWaitAbort(node: Node): NodeChanges {
  const internal = withoutSession(node);
  delete internal.user_deploy_steps;
  delete internal.deploy_agent_torn_down;
  const step = node.deploy_step;
  const during =
    typeof step.interface === 'string' && typeof step.step === 'string'
      ? ` during or after the completion of step "${step.interface}.${step.step}"`
      : '';
  return {
    last_error: `By request, the deploy operation was aborted${during}`,
    deploy_step: {},
    driver_internal_info: internal,
  };
}
