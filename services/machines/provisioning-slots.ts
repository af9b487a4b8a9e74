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

  constructor(
    private readonly limit: number,
    private readonly atWork: () => Promise<number>,
  ) {}

  /** Runs `start` (which must leave the host counted as at work) if a slot is free; answers whether it ran. */
  async take(start: () => Promise<void>): Promise<boolean> {
    const turn = this.queue.then(async () => {
      if ((await this.atWork()) >= this.limit) return false;
      await start();
      return true;
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}
