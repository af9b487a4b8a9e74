import type { NodeHistory } from '../events/index.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { HealthState, Node, NodeChanges, PowerState, NodeRepository, ProvisionState } from '../nodes/index.js';
import { forEachBounded } from './bounded.js';
import type { DriverCache } from './driver-cache.js';
import { createNodeTask } from './node-task.js';
import { withoutRescuePassword } from '../rescue/index.js';
import type { Ownership } from './worker.js';

export interface PeriodicSettings {
  /** Hardware types whose BMCs are synced (fake-hardware has none). */
  drivers: readonly string[];
  /** Force the recorded power state onto the hardware (Ironic's default), or record the hardware's. */
  forcePowerState: boolean;
  /** Each sync also reads the hardware health the BMC reports into the node (Ironic's enable_health_monitoring). */
  healthMonitoring: boolean;
  /** Consecutive failed syncs before a node goes to maintenance with fault "power failure". */
  maxPowerFailures: number;
  /** Nodes synced at once. */
  syncWorkers: number;
  /** Seconds a node may wait for its ramdisk agent, per wait state. */
  waitTimeouts: Partial<Record<ProvisionState, number>>;
}

/** Ironic skips these: the node is being set up, or waits on an agent that powers it itself. */
const SYNC_SKIPPED_STATES: readonly ProvisionState[] = [
  'enroll',
  'adopt failed',
  'wait call-back',
  'clean wait',
  'verifying',
];
const POWER_FAILURE = 'power failure';

export interface PeriodicTasksDeps {
  name: string;
  nodes: NodeRepository;
  drivers: DriverCache;
  history: NodeHistory;
  metrics: Metrics;
  settings: PeriodicSettings;
  log: Logger;
  /** Best effort, after a wait timed out: the agent's boot media leave the machine (HardwareRuntime.releaseAgentMedia). */
  releaseAgentMedia(node: Node): Promise<void>;
}

/**
 * What a conductor does on its own, over the nodes it owns: power sync,
 * recovery from power failures, and failing nodes that waited too long.
 * Each node is handled under its lock; a busy node is skipped until the next pass.
 */
export class PeriodicTasks {
  /** Consecutive power sync failures per node; a conductor's own view, as in Ironic. */
  private readonly failures = new Map<number, number>();

  constructor(private readonly deps: PeriodicTasksDeps) {}

  async syncPower(isMine: Ownership): Promise<void> {
    const stop = this.deps.metrics.powerSyncDuration.startTimer();
    const candidates = await this.mine(isMine, (q) => {
      q.where({ maintenance: false })
        .whereNull('target_power_state')
        .whereNotIn('provision_state', SYNC_SKIPPED_STATES);
    });
    await forEachBounded(candidates, this.deps.settings.syncWorkers, (node) => this.syncOne(node));
    stop();
  }

  /** Nodes put in maintenance by failed syncs come out by themselves once their BMC answers. */
  async recoverPowerFailures(isMine: Ownership): Promise<void> {
    const faulty = await this.mine(isMine, (q) => {
      q.where({ maintenance: true, fault: POWER_FAILURE });
    });
    await forEachBounded(faulty, this.deps.settings.syncWorkers, async (node) => {
      let power: PowerState;
      try {
        power = await this.deps.drivers.for(node).power.getPowerState();
      } catch {
        return;
      }
      await this.locked(node, async (fresh) => {
        if (fresh.fault !== POWER_FAILURE) return;
        this.failures.delete(node.id);
        await this.deps.nodes.update(node.id, {
          maintenance: false,
          maintenance_reason: null,
          fault: null,
          power_state: power,
        });
        await this.deps.history.record(node.id, {
          severity: 'INFO',
          event_type: 'power',
          event: `The BMC answers again (${power}): power failure cleared, maintenance off`,
        });
      });
    });
  }

  /** Fails nodes whose agent never called back within the wait state's timeout. */
  async failTimedOutWaits(isMine: Ownership, now = new Date()): Promise<void> {
    const states = Object.keys(this.deps.settings.waitTimeouts) as ProvisionState[];
    const waiting = await this.mine(isMine, (q) => {
      q.whereIn('provision_state', states);
    });
    for (const node of waiting) {
      const limit = this.deps.settings.waitTimeouts[node.provision_state]!;
      const since = Date.parse(node.provision_updated_at ?? node.created_at);
      if (now.getTime() - since < limit * 1000) continue;
      await this.locked(node, async (fresh) => {
        if (fresh.provision_state !== node.provision_state || fresh.provision_updated_at !== node.provision_updated_at)
          return;
        const heard = fresh.driver_internal_info.agent_last_heartbeat;
        const rescue = node.provision_state === 'rescue wait';
        const error =
          (rescue
            ? `Timeout reached while waiting for rescue ramdisk callback for node ${node.uuid} (${limit} s)`
            : `Timeout reached while waiting for callback for node ${node.uuid} in "${node.provision_state}" (${limit} s)`) +
          (typeof heard === 'string'
            ? `; the agent's last heartbeat was at ${heard}.`
            : '; no agent ever called back.');
        await createNodeTask(fresh, this.deps.nodes, this.deps.history, this.deps.metrics).fire('fail', {
          last_error: error,
          // Ironic's rescuing_error_handler: the rescue ramdisk is powered off and the password forgotten.
          ...(rescue ? { instance_info: withoutRescuePassword(fresh) } : {}),
          ...(rescue && !fresh.disable_power_off ? { target_power_state: 'power off' as const } : {}),
        });
        await this.deps.releaseAgentMedia(fresh);
      });
    }
  }

  /**
   * Reads the power state without the node's lock, as Ironic's shared lock
   * does (the BMC guard already keeps calls to one BMC in single file), and
   * takes the lock only to correct or record something: a sync pass over a
   * large fleet then never answers API requests with 409 NodeLocked.
   */
  private async syncOne(listed: Node): Promise<void> {
    let actual: PowerState;
    let health: HealthState | null | undefined;
    try {
      ({ power: actual, health } = await this.readPower(listed));
    } catch (err) {
      await this.locked(listed, async (fresh) => {
        if (this.stillSyncable(listed, fresh)) await this.syncFailed(fresh, err);
      });
      return;
    }
    this.failures.delete(listed.id);
    if (health !== undefined) await this.cacheHealth(listed, health);
    if (listed.power_state === actual) return;
    await this.locked(listed, async (fresh) => {
      if (this.stillSyncable(listed, fresh)) await this.correct(fresh, actual);
    });
  }

  /**
   * The node's power state; with health monitoring on, also the hardware
   * health the BMC reports, in the same read. Undefined health: none read
   * (monitoring off, or a BMC with no such verdict, as over IPMI).
   */
  private async readPower(node: Node): Promise<{ power: PowerState; health?: HealthState | null }> {
    const { power } = this.deps.drivers.for(node);
    if (this.deps.settings.healthMonitoring && power.getPowerAndHealth !== undefined) return power.getPowerAndHealth();
    return { power: await power.getPowerState() };
  }

  /**
   * Keeps the health the BMC reports in the node, as Ironic's
   * node_cache_health does once a power read succeeded: a change is written
   * and recorded in the node's history.
   */
  private async cacheHealth(listed: Node, health: HealthState | null): Promise<void> {
    if (health === listed.health) return;
    await this.locked(listed, async (fresh) => {
      if (fresh.health === health) return;
      await this.deps.nodes.update(fresh.id, { health });
      await this.deps.history.record(fresh.id, {
        severity: 'INFO',
        event_type: 'monitoring',
        event: `Node health status changed: health='${health ?? 'None'}' (previously '${fresh.health ?? 'None'}')`,
      });
      if (health === 'Warning' || health === 'Critical')
        this.deps.log.warn({ node_uuid: fresh.uuid, health }, 'the BMC reports a hardware problem');
    });
  }

  /** Nothing changed the node since it was listed (a power request, maintenance, a new recorded state). */
  private stillSyncable(listed: Node, fresh: Node): boolean {
    return !fresh.maintenance && fresh.target_power_state === null && fresh.power_state === listed.power_state;
  }

  private async correct(node: Node, actual: PowerState): Promise<void> {
    if (node.power_state === actual) return;
    if (
      node.power_state === null ||
      !this.deps.settings.forcePowerState ||
      (node.disable_power_off && actual === 'power on')
    ) {
      await this.deps.nodes.update(node.id, { power_state: actual });
      await this.deps.history.record(node.id, {
        severity: node.power_state === null ? 'INFO' : 'WARNING',
        event_type: 'power',
        event: `Power sync: recorded ${node.power_state ?? 'nothing'}, the hardware is ${actual}; recorded the hardware's state`,
      });
      return;
    }
    this.deps.metrics.powerSyncMismatches.inc();
    try {
      await this.deps.drivers.for(node).power.setPowerState(node.power_state);
      await this.deps.history.record(node.id, {
        severity: 'WARNING',
        event_type: 'power',
        event: `Power sync: the hardware was ${actual}, recorded ${node.power_state}; the recorded state was forced onto the hardware`,
      });
    } catch (err) {
      await this.syncFailed(node, err);
    }
  }

  private async syncFailed(node: Node, err: unknown): Promise<void> {
    this.deps.metrics.powerSyncFailures.inc();
    const count = (this.failures.get(node.id) ?? 0) + 1;
    this.failures.set(node.id, count);
    const reason = err instanceof Error ? err.message : String(err);
    await this.deps.history.record(node.id, {
      severity: 'ERROR',
      event_type: 'bmc',
      event: `Power sync failed (${count}): ${reason}`,
    });
    if (count < this.deps.settings.maxPowerFailures) return;
    const changes: NodeChanges = {
      maintenance: true,
      fault: POWER_FAILURE,
      maintenance_reason: `Power sync failed ${count} times in a row; the BMC is unreachable or refuses us. Last error: ${reason}`,
      power_state: null,
    };
    await this.deps.nodes.update(node.id, changes);
    this.deps.log.warn(
      { node_uuid: node.uuid, failures: count },
      'node moved to maintenance after power sync failures',
    );
  }

  private async mine(isMine: Ownership, where: Parameters<NodeRepository['listUnlocked']>[1]): Promise<Node[]> {
    const nodes = await this.deps.nodes.listUnlocked(this.deps.settings.drivers, where);
    const owned: Node[] = [];
    for (const node of nodes) if (await isMine(node.uuid, node.conductor_group)) owned.push(node);
    return owned;
  }

  /** Runs `work` on the node as it is under its lock; a node someone else holds is left for the next pass. */
  private async locked(node: Node, work: (fresh: Node) => Promise<void>): Promise<void> {
    if (!(await this.deps.nodes.reserve(node.id, this.deps.name))) return;
    try {
      await work(await this.deps.nodes.getById(node.id));
    } catch (err) {
      this.deps.log.error({ err, node_uuid: node.uuid }, 'periodic task failed on a node');
    } finally {
      await this.deps.nodes.release(node.id, this.deps.name);
    }
  }
}
