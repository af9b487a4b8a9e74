// One holder at a time per key, first come first served: the "one call at a
// time per BMC" of DESIGN decision 7. Keys with nobody waiting are forgotten,
// so a fleet of 10,000 BMCs costs nothing while idle.

export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Resolves, once every earlier holder of the key has released it, with the release function. */
  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  /** Keys held or waited for now. */
  get size(): number {
    return this.tails.size;
  }
}
