// A counting semaphore, first come first served: the global bound on BMC
// calls in flight.

export class Semaphore {
  private available: number;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError('a semaphore needs at least one permit');
    this.available = permits;
  }

  /** Resolves with the function that gives the permit back; calling it twice gives it back once. */
  async acquire(): Promise<() => void> {
    if (this.available > 0) this.available -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The permit passes straight to the next waiter, so nobody can jump the queue.
      if (next) next();
      else this.available += 1;
    };
  }
}
