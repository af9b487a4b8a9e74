/** How long a count that found the slots full is believed. */
const RECOUNT_MS = 1000;

/** The reason a machine shows while the provisioning limit holds it back. */
export const WAITING_FOR_SLOT = 'WaitingForSlot';

/**
 * Baremetal-operator's PROVISIONING_LIMIT for machines: at most `limit`
 * machines' hosts boot the agent at once (deploying, or undeploying and
 * cleaning). A fleet asked for a thousand machines at once would otherwise
 * network-boot a thousand hosts together, and the boot services, the BMCs
 * and the provisioning network time out under it; the rest wait their turn.
 *
 * The count is the database's, so it holds across conductors; within this
 * process, counting and asking for one more host's work are one step at a
 * time, so that passes running together cannot all see the same free slot.
 * Conductors racing each other may go past the limit by one each, no more.
 */
export class ProvisioningSlots {
  private queue: Promise<unknown> = Promise.resolve();
  /** When a count last found every slot taken. */
  private fullAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly limit: number,
    private readonly atWork: () => Promise<number>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether a slot may be free, before the work that precedes `take` (the
   * host's lock, its addresses). Answered without a query for a moment after
   * a count found the slots full: a thousand machines waiting, each passed
   * over every sweep, cost one count a second rather than one each.
   */
  async mayBeFree(): Promise<boolean> {
    if (this.now() - this.fullAt < RECOUNT_MS) return false;
    return this.free();
  }

  /** How many slots are free now (a sweep starts that many waiting machines, not all of them). */
  async freeCount(): Promise<number> {
    const free = this.limit - (await this.atWork());
    this.fullAt = free > 0 ? Number.NEGATIVE_INFINITY : this.now();
    return Math.max(0, free);
  }

  /** Runs `start` (which must leave the host counted as at work) if a slot is free; answers whether it ran. */
  async take(start: () => Promise<void>): Promise<boolean> {
    const turn = this.queue.then(async () => {
      if (!(await this.free())) return false;
      await start();
      return true;
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async free(): Promise<boolean> {
    const free = (await this.atWork()) < this.limit;
    this.fullAt = free ? Number.NEGATIVE_INFINITY : this.now();
    return free;
  }
}
