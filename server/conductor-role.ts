import { PeriodicTasks, ConductorService, Worker } from '../services/conductor/index.js';
import type { Core } from './core.js';

export interface ConductorRole {
  /** Handed to this process's API, so work it accepts starts here without waiting for a sweep. */
  worker: Worker;
  stop(): Promise<void>;
}

/** A conductor: the worker pool, heartbeats and sweeps, and the periodic passes over the nodes it owns. */
export async function startConductorRole(core: Core): Promise<ConductorRole> {
  const { config, log } = core;
  const c = config.conductor;
  const worker = new Worker({
    name: c.name,
    nodes: core.nodes,
    runtimes: core.runtimes,
    history: core.history,
    capacity: c.workers,
    metrics: core.metrics,
    log,
  });
  // Each part of a process locks under a name of its own (`name:part`), so a
  // worker's sweep never mistakes a sync's or a request's lock for work handed to it.
  const periodic = new PeriodicTasks({
    name: `${c.name}:sync`,
    nodes: core.nodes,
    drivers: core.drivers,
    history: core.history,
    metrics: core.metrics,
    settings: {
      drivers: ['redfish', 'idrac', 'ipmi'],
      forcePowerState: c.forcePowerStateDuringSync,
      maxPowerFailures: c.powerSyncMaxRetries,
      syncWorkers: c.powerSyncWorkers,
      waitTimeouts: {
        'wait call-back': c.deployCallbackTimeoutSeconds,
        'inspect wait': c.inspectWaitTimeoutSeconds,
        'clean wait': c.cleanCallbackTimeoutSeconds,
        'rescue wait': c.rescueCallbackTimeoutSeconds,
        'service wait': c.deployCallbackTimeoutSeconds,
      },
    },
    log,
  });
  const conductor = new ConductorService({
    worker,
    group: c.group,
    membership: core.membership,
    placement: core.placement,
    nodes: core.nodes,
    history: core.history,
    timing: { heartbeatIntervalMs: c.heartbeatIntervalSeconds * 1000, sweepIntervalMs: c.sweepIntervalSeconds * 1000 },
    passes: [
      { name: 'power sync', intervalMs: c.powerSyncIntervalSeconds * 1000, run: (mine) => periodic.syncPower(mine) },
      {
        name: 'power failure recovery',
        intervalMs: c.powerFailureRecoveryIntervalSeconds * 1000,
        run: (mine) => periodic.recoverPowerFailures(mine),
      },
      {
        name: 'wait timeouts',
        intervalMs: c.checkProvisionStateIntervalSeconds * 1000,
        run: (mine) => periodic.failTimedOutWaits(mine),
      },
    ],
    log,
  });
  await conductor.start();
  log.info({ conductor: c.name, group: c.group }, 'conductor started');
  return { worker, stop: () => conductor.stop() };
}
