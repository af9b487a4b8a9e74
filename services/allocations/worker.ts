import type { Logger } from '../logger.js';
import type { Allocator } from './allocator.js';
import type { Allocation } from './model.js';
import type { AllocationRepository } from './repository.js';

/** Allocations still `allocating` that one sweep looks at. */
const SWEEP_LIMIT = 1000;

export interface AllocationWorkerDeps {
  repo: AllocationRepository;
  allocator: Allocator;
  /**
   * Whether this conductor owns the allocation: the hash ring of all live
   * conductors on its uuid, so each waiting allocation has one conductor,
   * and another once that one dies.
   */
  owns: (allocationUuid: string) => Promise<boolean>;
  /** Allocations processed at once. */
  capacity: number;
  log: Logger;
}

/**
 * A conductor's allocation processing. An allocation arrives by `kick` (the
 * API in this process just wrote it) or by `sweep` (written through another
 * process, or left `allocating` by a conductor that stopped or died): either
 * way only the owning conductor takes it, and at most once at a time here.
 * Two conductors that both believe they own one (while the ring changes)
 * are harmless: the claim moves an allocation out of `allocating` only once.
 */
export class AllocationWorker {
  private readonly running = new Map<number, Promise<void>>();

  constructor(private readonly deps: AllocationWorkerDeps) {}

  /** Processes a new allocation now if this conductor owns it and has room; else a sweep will. */
  kick(allocation: Allocation): void {
    if (this.running.has(allocation.id) || !this.hasCapacity()) return;
    this.start(allocation, async () => this.deps.owns(allocation.uuid));
  }

  async sweep(): Promise<void> {
    for (const allocation of await this.deps.repo.listAllocating(SWEEP_LIMIT)) {
      if (!this.hasCapacity()) return;
      if (this.running.has(allocation.id) || !(await this.deps.owns(allocation.uuid))) continue;
      this.start(allocation, async () => true);
    }
  }

  /** Waits for the allocations under way, e.g. before closing the database. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private hasCapacity(): boolean {
    return this.running.size < this.deps.capacity;
  }

  private start(allocation: Allocation, mine: () => Promise<boolean>): void {
    const work = (async () => {
      if (await mine()) await this.deps.allocator.process(allocation);
    })()
      .catch((err: unknown) => {
        this.deps.log.error({ err, allocation_uuid: allocation.uuid }, 'allocation processing failed');
      })
      .finally(() => this.running.delete(allocation.id));
    this.running.set(allocation.id, work);
  }
}
