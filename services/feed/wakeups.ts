interface Waiter {
  after: number;
  wake(woken: boolean): void;
}

/**
 * Followers waiting for the feed to move past their cursor. Whatever learns
 * of a commit (this process's recorder, PostgreSQL's NOTIFY, a poll) tells
 * `committed` the newest cursor; the newest ever told is kept, so a follower
 * that starts waiting just after a commit it did not read yet returns at once
 * instead of missing the wake-up.
 */
export class Wakeups {
  private newest = 0;
  private readonly waiters = new Set<Waiter>();

  /** The newest cursor known to have committed. */
  get newestKnown(): number {
    return this.newest;
  }

  /** How many followers wait. */
  get waiting(): number {
    return this.waiters.size;
  }

  committed(cursor: number): void {
    if (cursor > this.newest) this.newest = cursor;
    for (const waiter of [...this.waiters]) if (cursor > waiter.after) waiter.wake(true);
  }

  /** True once a change past `after` is known to have committed; false after `ms`, or once `signal` aborts. */
  waitPast(after: number, ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.newest > after) return Promise.resolve(true);
    if (signal.aborted || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        after,
        wake: (woken) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(woken);
        },
      };
      const onAbort = () => waiter.wake(false);
      const timer = setTimeout(() => waiter.wake(false), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }
}
