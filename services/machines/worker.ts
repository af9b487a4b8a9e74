import type { Logger } from '../logger.js';
import type { Machine } from './model.js';
import { WAITING_FOR_SLOT, type ProvisioningSlots } from './provisioning-slots.js';
import type { MachineReconciler } from './reconciler.js';
import type { MachineRepository } from './repository.js';

/** Unsettled machines one sweep looks at. */
const SWEEP_LIMIT = 1000;
/** Steps one pass takes on a machine while each moves it on (claim, then deploy...), before leaving it to the next sweep. */
const STEPS_PER_PASS = 4;

export interface MachineWorkerDeps {
  repo: MachineRepository;
  reconciler: MachineReconciler;
  /** Whether this conductor owns the machine: the hash ring of live conductors on its uuid. */
  owns: (machineUuid: string) => Promise<boolean>;
  /** Machines reconciled at once. */
  capacity: number;
  /** The provisioning limit the reconciler keeps: a sweep starts only as many waiting machines as there are free slots. */
  slots: Pick<ProvisioningSlots, 'freeCount'>;
  log: Logger;
}

/**
 * A conductor's machine processing, as its allocation processing: a machine
 * arrives by `kick` (this process's API just wrote it) or by `sweep`
 * (written elsewhere, waiting for a host, mid-deploy, or left by a conductor
 * that died); only its owner on the hash ring reconciles it, one pass at a
 * time here. Two conductors that both believe they own one while the ring
 * changes are harmless: each step is conditional on the database.
 */
export class MachineWorker {
  private readonly running = new Map<number, Promise<void>>();
  /** The id the next sweep starts after. */
  private resumeAfter = 0;

  constructor(private readonly deps: MachineWorkerDeps) {}

  kick(machine: Machine): void {
    if (this.running.has(machine.id) || !this.hasCapacity()) return;
    this.start(machine, async () => this.deps.owns(machine.uuid));
  }

  /**
   * Starts passes for the unsettled machines this conductor owns, up to its
   * capacity, resuming after the last machine the previous sweep looked at
   * and wrapping around once: machines waiting long (pending without a
   * host) never keep the others behind them from their turn.
   */
  async sweep(): Promise<void> {
    const start = this.resumeAfter;
    let after = start;
    let wrapped = false;
    // A thousand machines waiting for a slot would otherwise each take a pass every sweep, to be told to wait.
    let slotsFree = await this.deps.slots.freeCount();
    for (;;) {
      const page = await this.deps.repo.listUnsettled(after, SWEEP_LIMIT);
      for (const machine of page.machines) {
        if (wrapped && machine.id > start) break;
        if (!this.hasCapacity()) {
          this.resumeAfter = after;
          return;
        }
        after = machine.id;
        if (this.running.has(machine.id) || !(await this.deps.owns(machine.uuid))) continue;
        if (machine.failure_reason === WAITING_FOR_SLOT && !machine.deleting) {
          if (slotsFree === 0) continue;
          slotsFree -= 1;
        }
        this.start(machine, async () => true);
      }
      if (page.more && page.scannedTo !== null && !(wrapped && page.scannedTo >= start)) {
        after = page.scannedTo;
        continue;
      }
      if (wrapped || start === 0) break;
      wrapped = true;
      after = 0;
    }
    this.resumeAfter = 0;
  }

  /** Waits for the passes under way, e.g. before closing the database. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private hasCapacity(): boolean {
    return this.running.size < this.deps.capacity;
  }

  private start(machine: Machine, mine: () => Promise<boolean>): void {
    const work = (async () => {
      if (!(await mine())) return;
      let current: Machine | null = machine;
      for (let step = 0; step < STEPS_PER_PASS && current !== null; step++) {
        await this.deps.reconciler.reconcile(current);
        const after = await this.deps.repo.find('uuid', machine.uuid);
        // Gone, or the step changed nothing: the host is at work, or there is nothing to do until something changes.
        current = after !== null && after.updated_at !== current.updated_at ? after : null;
      }
    })()
      .catch((err: unknown) => {
        this.deps.log.error({ err, machine_uuid: machine.uuid }, 'machine reconcile failed');
      })
      .finally(() => this.running.delete(machine.id));
    this.running.set(machine.id, work);
  }
}
