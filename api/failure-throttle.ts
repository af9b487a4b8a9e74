import type { ServerResponse } from 'node:http';
import { setTimeout as wait } from 'node:timers/promises';
import { Address6 } from 'ip-address';

export interface FailureThrottleOptions {
  /** Failures a source may make within the window before its requests are slowed. */
  freeFailures: number;
  /** How long a failure counts against its source. */
  windowSeconds: number;
  /** The longest wait a source can earn, however often it fails. */
  maxDelayMs: number;
  /** The wait earned by the first failure past the free ones; each further failure doubles it. Default 100 ms (capped at maxDelayMs). */
  baseDelayMs?: number;
  /** Sources remembered at most; past that, the one whose last failure is oldest is forgotten. Default 10 000. */
  maxSources?: number;
  /** The clock in ms, for tests. */
  now?: () => number;
  /** How a delay is waited, for tests; it may end early (resolve or reject) once `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Slows down a source that keeps failing (bad agent tokens, lookups of
 * nodes that are not there, wrong passwords) without locking it out: after
 * `freeFailures` failures within the window, each request from that source
 * first waits `baseDelayMs`, doubled for every further failure, capped at
 * `maxDelayMs`. Only that source waits; a success clears it. A brute force
 * is thereby held to about one guess per `maxDelayMs` per connection, while
 * an honest caller elsewhere never notices.
 *
 * A small class rather than rate-limiter-flexible: that library counts
 * within a window (a few lines here) but leaves the growing delay to the
 * caller, keeps a timer per key instead of a bounded table, and has no
 * injectable clock.
 */
export class FailureThrottle {
  private readonly free: number;
  private readonly windowMs: number;
  private readonly maxDelayMs: number;
  private readonly baseDelayMs: number;
  private readonly maxSources: number;
  /** Failures past this many no longer change the delay, so no more are kept. */
  private readonly keep: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Failure times of each source, oldest first; the Map's order is the order of last failure, oldest first. */
  private readonly failures = new Map<string, number[]>();

  constructor(options: FailureThrottleOptions) {
    const { freeFailures, windowSeconds, maxDelayMs } = options;
    const baseDelayMs = Math.min(options.baseDelayMs ?? 100, maxDelayMs);
    const maxSources = options.maxSources ?? 10_000;
    if (!Number.isInteger(freeFailures) || freeFailures < 0)
      throw new RangeError(`freeFailures must be a whole number ≥ 0, not ${freeFailures}.`);
    if (!(windowSeconds > 0)) throw new RangeError(`windowSeconds must be > 0, not ${windowSeconds}.`);
    if (!(maxDelayMs >= 0) || !(baseDelayMs >= 0))
      throw new RangeError(`maxDelayMs and baseDelayMs must be ≥ 0, not ${maxDelayMs} and ${baseDelayMs}.`);
    if (!Number.isInteger(maxSources) || maxSources < 1)
      throw new RangeError(`maxSources must be a whole number ≥ 1, not ${maxSources}.`);
    this.free = freeFailures;
    this.windowMs = windowSeconds * 1000;
    this.maxDelayMs = maxDelayMs;
    this.baseDelayMs = baseDelayMs;
    this.maxSources = maxSources;
    const doublings = baseDelayMs > 0 && maxDelayMs > baseDelayMs ? Math.ceil(Math.log2(maxDelayMs / baseDelayMs)) : 0;
    this.keep = freeFailures + doublings + 1;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms, signal) => wait(ms, undefined, { signal }));
  }

  /**
   * Resolves after the delay this source has earned by its recent failures
   * (at once while it has fewer than freeFailures): true to go on, false
   * when `gaveUp` aborted first (the caller's client left while it waited:
   * its request is better not served at all).
   */
  async delayFor(source: string, gaveUp?: AbortSignal): Promise<boolean> {
    const ms = this.delayOf(source);
    if (ms === 0) return true;
    try {
      await this.sleep(ms, gaveUp);
    } catch (err) {
      if (gaveUp?.aborted === true) return false;
      throw err;
    }
    // An abort that came in with the timer is still queued as I/O: setImmediate runs after it.
    await new Promise((resolve) => setImmediate(resolve));
    return gaveUp?.aborted !== true;
  }

  private delayOf(source: string): number {
    const recent = this.recent(source);
    if (recent === undefined || recent.length < this.free) return 0;
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (recent.length - this.free));
  }

  failed(source: string): void {
    const now = this.now();
    const times = this.recent(source) ?? [];
    times.push(now);
    if (times.length > this.keep) times.splice(0, times.length - this.keep);
    // Re-inserted, so the Map stays ordered by last failure and the oldest is first to go.
    this.failures.delete(source);
    this.failures.set(source, times);
    this.forgetStale(now);
  }

  succeeded(source: string): void {
    this.failures.delete(source);
  }

  /** The source's failures still within the window, or undefined when it has none. */
  private recent(source: string): number[] | undefined {
    const times = this.failures.get(source);
    if (times === undefined) return undefined;
    const since = this.now() - this.windowMs;
    const first = times.findIndex((t) => t > since);
    if (first === -1) {
      this.failures.delete(source);
      return undefined;
    }
    if (first > 0) times.splice(0, first);
    return times;
  }

  /** Drops sources whose last failure left the window, and the oldest beyond maxSources. */
  private forgetStale(now: number): void {
    for (const [source, times] of this.failures) {
      const last = times[times.length - 1] ?? 0;
      if (this.failures.size <= this.maxSources && last > now - this.windowMs) break;
      this.failures.delete(source);
    }
  }
}

/**
 * Waits the delay the request's source has earned; false when its client
 * hung up first, and the request must then not be served: a lookup would
 * hand the boot's one agent token to nobody, and the agent, asking again,
 * would be told it was taken.
 */
export async function waitTurn(throttle: FailureThrottle, source: string, res: ServerResponse): Promise<boolean> {
  const hungUp = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) hungUp.abort();
  };
  res.once('close', onClose);
  try {
    return (await throttle.delayFor(source, hungUp.signal)) && !res.destroyed;
  } finally {
    res.off('close', onClose);
  }
}

/**
 * The source a request is throttled under: its address, IPv4-mapped IPv6 as
 * IPv4, and IPv6 by its /64, since one host usually holds a whole /64 and
 * could otherwise take a fresh address for every try.
 */
export function sourceOf(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  if (!address.includes(':')) return address;
  try {
    const v6 = new Address6(address);
    if (v6.is4()) return v6.to4().correctForm();
    return `${new Address6(`${v6.correctForm()}/64`).startAddress().correctForm()}/64`;
  } catch {
    return address;
  }
}
