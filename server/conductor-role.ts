import { AllocationRepository, AllocationWorker, Allocator } from '../services/allocations/index.js';
import { Intake, PeriodicTasks, ConductorService, Worker } from '../services/conductor/index.js';
import { pruneChanges } from '../services/feed/index.js';
import { NodeHardware, type HardwareCalls } from '../services/hardware/index.js';
import { MachineReconciler, MachineRepository, MachineWorker, ProvisioningSlots } from '../services/machines/index.js';
import { NodeLocks } from '../services/nodes/index.js';
import { startRpcServer } from '../services/rpc/index.js';
import { settings, type AnvilConfig } from '../services/config/index.js';
import type { Core } from './core.js';
import { checkPortFree, listenFailure, type ListenSetting } from './ports.js';

/** The hash ring key of the change feed's retention, which one conductor runs. */
const FEED_RETENTION_KEY = 'anvil:change-feed-retention';

export interface ConductorRole {
  /** Handed to this process's API, so work it accepts starts here without waiting for a sweep. */
  worker: Worker;
  /** Its hardware calls, which this process's API makes in place for the nodes this conductor owns. */
  hardware: HardwareCalls;
  /** Takes the allocations this process's API creates, when this conductor owns them. */
  allocations: AllocationWorker;
  /** Takes the machines this process's API writes, when this conductor owns them. */
  machines: MachineWorker;
  stop(): Promise<void>;
}

/**
 * What a process of this conductor's name held for its parts when it was
 * killed (a BMC call over RPC, a machine's or a power sync's lock) is
 * released before this one starts any of them, as Ironic clears a
 * conductor's reservations when it starts: nothing of the dead process runs
 * any more, and no other conductor frees the locks of a name that is alive
 * again. The `<name>` locks themselves stay: the worker resumes that work.
 * The API's own (`<name>:api`) only when this process runs the API too: a
 * separate API process may share the host name and be very much alive.
 */
async function releasePredecessorLocks(core: Core, withApi: boolean): Promise<void> {
  const name = core.config.conductor.name;
  const parts = ['rpc', 'machines', 'sync', ...(withApi ? ['api'] : [])];
  const freed = await core.nodes.releaseHeldBy(parts.map((part) => `${name}:${part}`));
  for (const node of freed) {
    await core.history.record(node.id, {
      severity: 'WARNING',
      event_type: 'lock',
      event: `Lock of ${node.reservation ?? ''} released: the process that held it is gone and ${name} is starting again`,
    });
  }
  if (freed.length > 0) core.log.warn({ nodes: freed.length }, 'released the locks a killed process of this name held');
}

/** Checks, before anything starts, that the RPC server's port is free. */
export async function prepareConductorRole(config: AnvilConfig): Promise<void> {
  await checkPortFree(rpcListen(config));
}

function rpcListen(config: AnvilConfig): ListenSetting {
  return {
    host: config.conductor.rpcHost,
    port: config.conductor.rpcPort,
    hostVariable: settings.conductor.rpcHost.spec.env,
    portVariable: settings.conductor.rpcPort.spec.env,
  };
}

/**
 * A conductor: the worker pool, heartbeats and sweeps, the periodic passes
 * over the nodes it owns, and the RPC server where API processes send their
 * hardware calls for those nodes.
 */
export async function startConductorRole(
  core: Core,
  { withApi }: { withApi: boolean } = { withApi: false },
): Promise<ConductorRole> {
  const { config, log } = core;
  const c = config.conductor;
  await releasePredecessorLocks(core, withApi);
  const hardware = new NodeHardware({
    nodes: core.nodes,
    locks: new NodeLocks({ nodes: core.nodes, holder: `${c.name}:rpc`, history: core.history, metrics: core.metrics }),
    drivers: core.drivers,
  });
  const rpc = await startRpcServer(
    { hardware, nodes: core.nodes, secret: core.rpcSecret, log },
    { host: c.rpcHost, port: c.rpcPort, advertiseHost: c.rpcAdvertiseHost },
  ).catch((err: unknown) => {
    throw listenFailure(err, rpcListen(config));
  });
  const worker = new Worker({
    name: c.name,
    nodes: core.nodes,
    runtimes: core.runtimes,
    history: core.history,
    capacity: c.workers,
    metrics: core.metrics,
    log,
  });
  const allocationRepo = new AllocationRepository(core.db.knex);
  const allocations = new AllocationWorker({
    repo: allocationRepo,
    allocator: new Allocator(allocationRepo, log),
    owns: async (uuid) => (await core.placement.ownerOfAny(uuid)) === c.name,
    capacity: c.workers,
    log,
  });
  const machineLocks = new NodeLocks({
    nodes: core.nodes,
    holder: `${c.name}:machines`,
    history: core.history,
    metrics: core.metrics,
  });
  const machineRepo = new MachineRepository(core.db.knex);
  const slots = new ProvisioningSlots(config.machines.provisioningLimit, () => machineRepo.hostsAtWork());
  const machines = new MachineWorker({
    repo: machineRepo,
    reconciler: new MachineReconciler({
      repo: machineRepo,
      nodes: core.nodes,
      locks: machineLocks,
      // Machines ask their hosts for work as the API does, so the node's owning conductor carries it out.
      requests: new Intake({
        nodes: core.nodes,
        locks: machineLocks,
        placement: core.placement,
        history: core.history,
        runtimes: core.runtimes,
        local: worker,
      }),
      ipam: core.ipam,
      ports: core.ports,
      inventory: core.inventory,
      failureDomainLabel: config.machines.failureDomainLabel,
      slots,
      log,
    }),
    slots,
    owns: async (uuid) => (await core.placement.ownerOfAny(uuid)) === c.name,
    capacity: c.workers,
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
    releaseAgentMedia: async (node) => core.runtimes.get(node.driver)?.releaseAgentMedia?.(node),
    settings: {
      drivers: ['redfish', 'idrac', 'ipmi'],
      forcePowerState: c.forcePowerStateDuringSync,
      healthMonitoring: c.enableHealthMonitoring,
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
    rpcUrl: rpc.url,
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
      { name: 'allocations', intervalMs: c.sweepIntervalSeconds * 1000, run: () => allocations.sweep() },
      {
        // Every deployment runs a conductor, and the hash ring gives the feed to exactly one live
        // conductor (another takes over when it dies): one process prunes, however many run.
        name: 'change feed retention',
        intervalMs: config.feed.pruneIntervalSeconds * 1000,
        run: async () => {
          if ((await core.placement.ownerOfAny(FEED_RETENTION_KEY)) !== c.name) return;
          await pruneChanges(core.db.knex, {
            maxAgeHours: config.feed.retentionHours,
            maxRecords: config.feed.maxRecords,
          });
        },
      },
      { name: 'machines', intervalMs: c.sweepIntervalSeconds * 1000, run: () => machines.sweep() },
    ],
    log,
  });
  try {
    await conductor.start();
  } catch (err) {
    await rpc.close();
    throw err;
  }
  log.info({ conductor: c.name, group: c.group, rpc: rpc.url }, 'conductor started');
  return {
    worker,
    hardware,
    allocations,
    machines,
    async stop() {
      await conductor.stop();
      await allocations.drain();
      await machines.drain();
      await rpc.close();
    },
  };
}
