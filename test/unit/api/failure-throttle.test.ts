import { describe, expect, it } from 'vitest';
import { FailureThrottle, sourceOf, type FailureThrottleOptions } from '../../../api/failure-throttle.js';

/** A throttle on a fake clock whose sleeps are recorded, not waited. */
function rig(options: Partial<FailureThrottleOptions> = {}) {
  const clock = { now: 1_000_000 };
  const slept: number[] = [];
  const throttle = new FailureThrottle({
    freeFailures: 3,
    windowSeconds: 60,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    ...options,
    now: () => clock.now,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  /** The delay the source would wait now (0 when delayFor resolves without sleeping). */
  const delay = async (source: string): Promise<number> => {
    const before = slept.length;
    await throttle.delayFor(source);
    return slept.length > before ? slept[slept.length - 1]! : 0;
  };
  const fail = (source: string, times: number) => {
    for (let i = 0; i < times; i++) throttle.failed(source);
  };
  return { clock, throttle, delay, fail };
}

describe('FailureThrottle', () => {
  it('lets a source fail freeFailures times without delay, then doubles the delay up to the cap', async () => {
    const { delay, fail } = rig();
    const seen: number[] = [];
    for (let i = 0; i < 9; i++) {
      seen.push(await delay('10.0.0.1'));
      fail('10.0.0.1', 1);
    }
    expect(seen).toEqual([0, 0, 0, 100, 200, 400, 800, 1_000, 1_000]);
  });

  it('slows only the failing source: another source waits nothing', async () => {
    const { delay, fail } = rig();
    fail('10.0.0.1', 10);
    expect(await delay('10.0.0.1')).toBe(1_000);
    expect(await delay('10.0.0.2')).toBe(0);
  });

  it('clears a source on success', async () => {
    const { throttle, delay, fail } = rig();
    fail('10.0.0.1', 6);
    throttle.succeeded('10.0.0.1');
    expect(await delay('10.0.0.1')).toBe(0);
    fail('10.0.0.1', 3);
    expect(await delay('10.0.0.1')).toBe(100);
  });

  it('forgets failures older than the window, one by one', async () => {
    const { clock, delay, fail } = rig();
    fail('10.0.0.1', 2);
    clock.now += 30_000;
    fail('10.0.0.1', 3);
    expect(await delay('10.0.0.1')).toBe(400);
    // The first two leave the window; the last three still count.
    clock.now += 30_001;
    expect(await delay('10.0.0.1')).toBe(100);
    clock.now += 30_000;
    expect(await delay('10.0.0.1')).toBe(0);
  });

  it('keeps at most maxSources sources, forgetting the one whose last failure is oldest', async () => {
    const { delay, fail } = rig({ maxSources: 2 });
    fail('a', 4);
    fail('b', 4);
    fail('a', 1);
    fail('c', 4);
    // b failed last longest ago, so it went to make room for c.
    expect(await delay('b')).toBe(0);
    expect(await delay('a')).toBe(400);
    expect(await delay('c')).toBe(200);
  });

  it('keeps a bounded number of failures per source, however many come', async () => {
    const { delay, fail } = rig();
    fail('10.0.0.1', 100_000);
    expect(await delay('10.0.0.1')).toBe(1_000);
  });

  it('never delays with maxDelayMs 0, and refuses nonsense options', async () => {
    const { delay, fail } = rig({ maxDelayMs: 0 });
    fail('x', 50);
    expect(await delay('x')).toBe(0);
    expect(() => new FailureThrottle({ freeFailures: -1, windowSeconds: 60, maxDelayMs: 10 })).toThrow(RangeError);
    expect(() => new FailureThrottle({ freeFailures: 1, windowSeconds: 0, maxDelayMs: 10 })).toThrow(RangeError);
    expect(() => new FailureThrottle({ freeFailures: 1, windowSeconds: 1, maxDelayMs: 10, maxSources: 0 })).toThrow(
      RangeError,
    );
  });

  it('ends a wait early when the caller gives up, and says so; a wait nobody gave up on says go on', async () => {
    const throttle = new FailureThrottle({ freeFailures: 0, windowSeconds: 60, baseDelayMs: 5_000, maxDelayMs: 5_000 });
    throttle.failed('s');
    const gaveUp = new AbortController();
    const started = performance.now();
    const waiting = throttle.delayFor('s', gaveUp.signal);
    setTimeout(() => gaveUp.abort(), 20);
    expect(await waiting).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
    // Already given up: no wait at all. A source with no failures goes on even so: there was no wait to end.
    expect(await throttle.delayFor('s', AbortSignal.abort())).toBe(false);
    expect(await throttle.delayFor('other', AbortSignal.abort())).toBe(true);
  });

  it('counts a give-up that comes in as the wait ends: the caller is gone either way', async () => {
    const gaveUp = new AbortController();
    const throttle = new FailureThrottle({
      freeFailures: 0,
      windowSeconds: 60,
      maxDelayMs: 100,
      // The sleep resolves with the abort still queued behind it, as a socket's close queues behind a timer.
      sleep: async () => {
        setImmediate(() => gaveUp.abort());
      },
    });
    throttle.failed('s');
    expect(await throttle.delayFor('s', gaveUp.signal)).toBe(false);
  });

  it('really waits with the default sleep', async () => {
    const throttle = new FailureThrottle({ freeFailures: 0, windowSeconds: 60, baseDelayMs: 50, maxDelayMs: 50 });
    throttle.failed('s');
    const started = performance.now();
    await throttle.delayFor('s');
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });
});

describe('sourceOf', () => {
  it('keys IPv4 by address, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(sourceOf('192.0.2.7')).toBe('192.0.2.7');
    expect(sourceOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(sourceOf('2001:db8:1:2:aaaa::1')).toBe(sourceOf('2001:db8:1:2:bbbb::9'));
    expect(sourceOf('2001:db8:1:2::1')).not.toBe(sourceOf('2001:db8:1:3::1'));
    expect(sourceOf(undefined)).toBe('unknown');
  });
});
