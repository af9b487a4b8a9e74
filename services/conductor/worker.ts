import type { NodeHistory } from '../events/index.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { UnsupportedDriverExtension } from '../errors.js';
import {
  type Node,
  type TargetPowerState,
  type NodeRepository,
  isActionable,
  type ProvisionState,
} from '../nodes/index.js';
import { CONSOLE_TARGET, consoleTargetOf, withoutConsoleTarget } from './console.js';
import type { HardwareRuntime, NodeTask } from './hardware-runtime.js';
import { createNodeTask } from './node-task.js';

/** States in which the conductor itself has work to do (the rest wait for a callback or a person). */
export const RUNNABLE_STATES: readonly ProvisionState[] = [
  'verifying',
  'inspecting',
  'cleaning',
  'deploying',
  'deleting',
  'adopting',
  'rescuing',
  'unrescuing',
  'servicing',
];

/** Whether this conductor owns a node, by the hash ring. */
export type Ownership = (nodeUuid: string, group: string) => Promise<boolean>;

export interface WorkerDeps {
  name: string;
  nodes: NodeRepository;
  runtimes: ReadonlyMap<string, HardwareRuntime>;
  history: NodeHistory;
  capacity: number;
  metrics: Metrics;
  log: Logger;
}

/**
 * The conductor's hands: runs the pending work of nodes whose lock it holds,
 * a bounded number at a time, and releases each lock when the work ends.
 * Work arrives by `kick` (handed over by the API in this process) or by
 * `sweep` (handed over by another process, or left by a conductor that died).
 */
export class Worker {
  private readonly running = new Map<number, Promise<void>>();

  readonly name: string;

  constructor(private readonly deps: WorkerDeps) {
    this.name = deps.name;
  }

  supports(driver: string): boolean {
    return this.deps.runtimes.has(driver);
  }

  hasCapacity(): boolean {
    return this.running.size < this.deps.capacity;
  }

  /**
   * Starts the work of a node whose lock was just handed to this worker, as
   * the handing-over UPDATE returned it; a full pool leaves it to the sweep.
   */
  kick(node: Node): void {
    if (!this.running.has(node.id) && this.hasCapacity()) this.start(node);
  }

  /** Picks up work handed to this worker and unlocked work on nodes it owns. */
  async sweep(isMine: Ownership): Promise<void> {
    for (const node of await this.deps.nodes.listReservedBy(this.name)) {
      if (!this.hasCapacity()) return;
      if (!this.running.has(node.id)) this.start(node);
    }
    const pending = await this.deps.nodes.listUnlockedWork(RUNNABLE_STATES, [CONSOLE_TARGET], this.deps.capacity);
    for (const candidate of pending) {
      if (!this.hasCapacity()) return;
      if (!(await isMine(candidate.uuid, candidate.conductor_group))) continue;
      // The reserving UPDATE returns the row it locked: the work starts from it, not from another read.
      const reserved = await this.deps.nodes.reserve(candidate.id, this.name);
      if (reserved) this.start(reserved);
    }
  }

  /** Waits for running work, e.g. before closing the database. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private start(node: Node): void {
    const work = this.run(node).finally(() => this.running.delete(node.id));
    this.running.set(node.id, work);
  }

  private async run(node: Node): Promise<void> {
    const nodeId = node.id;
    try {
      // A row read under another holder's lock is not ours to work on or release.
      if (node.reservation !== this.name) return;
      const task = createNodeTask(node, this.deps.nodes, this.deps.history, this.deps.metrics);
      const runtime = this.deps.runtimes.get(node.driver);
      if (!runtime) {
        await this.failUnsupported(task);
      } else {
        if (node.target_power_state !== null) await this.power(task, runtime, node.target_power_state);
        const consoleTarget = consoleTargetOf(task.node);
        if (consoleTarget !== undefined) await this.console(task, runtime, consoleTarget);
        if (RUNNABLE_STATES.includes(task.node.provision_state)) await this.advance(task, runtime);
      }
    } catch (err) {
      this.deps.log.error({ err, node_id: nodeId }, 'node work failed');
    } finally {
      await this.deps.nodes.release(nodeId, this.name).catch((err: unknown) => {
        this.deps.log.error({ err, node_id: nodeId }, 'could not release node lock');
      });
    }
  }

  private async advance(task: NodeTask, runtime: HardwareRuntime): Promise<void> {
    try {
      await runtime.advance(task);
    } catch (err) {
      this.deps.log.warn({ err, node_uuid: task.node.uuid }, 'provisioning step failed');
      if (isActionable(task.node.provision_state, 'fail')) await task.fire('fail', { last_error: messageOf(err) });
    }
  }

  private async power(task: NodeTask, runtime: HardwareRuntime, target: TargetPowerState): Promise<void> {
    const timeout = task.node.driver_internal_info.power_timeout;
    const { power_timeout: _done, ...internal } = task.node.driver_internal_info;
    try {
      const reached = await runtime.setPower(task, target, typeof timeout === 'number' ? timeout : null);
      await task.update(
        { power_state: reached, target_power_state: null, driver_internal_info: internal },
        { severity: 'INFO', event_type: 'power', event: `Power "${target}" done: the node is ${reached}` },
      );
    } catch (err) {
      const error = `Failed to change power state to "${target}": ${messageOf(err)}`;
      await task.update(
        { target_power_state: null, last_error: error, driver_internal_info: internal },
        { severity: 'ERROR', event_type: 'power', event: error },
      );
    }
  }

  private async console(task: NodeTask, runtime: HardwareRuntime, enabled: boolean): Promise<void> {
    const internal = withoutConsoleTarget(task.node);
    try {
      if (!runtime.setConsole) throw new UnsupportedDriverExtension(task.node.driver, 'console');
      await runtime.setConsole(task, enabled);
      await task.update(
        { console_enabled: enabled, last_error: null, driver_internal_info: internal },
        { severity: 'INFO', event_type: 'console', event: `Console ${enabled ? 'enabled' : 'disabled'}` },
      );
    } catch (err) {
      const error = `Error ${enabled ? 'enabling' : 'disabling'} the console on node ${task.node.uuid}. Reason: ${messageOf(err)}`;
      await task.update(
        { last_error: error, driver_internal_info: internal },
        { severity: 'ERROR', event_type: 'console', event: error },
      );
    }
  }

  private async failUnsupported(task: NodeTask): Promise<void> {
    const error = `Conductor ${this.name} cannot drive hardware type ${task.node.driver}.`;
    if (task.node.target_power_state !== null) await task.update({ target_power_state: null, last_error: error });
    if (isActionable(task.node.provision_state, 'fail')) await task.fire('fail', { last_error: error });
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
