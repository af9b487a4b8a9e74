import { describe, expect, it } from 'vitest';
import { Wakeups } from '../../../../services/feed/wakeups.js';

/** Longer than any test may run: a wait that ends did not run out. */
const FOREVER_MS = 3_600_000;

describe('Wakeups', () => {
  it('wakes the followers behind a committed cursor, and only them', async () => {
    const wakeups = new Wakeups();
    const signal = new AbortController().signal;
    const behind = wakeups.waitPast(5, FOREVER_MS, signal);
    const ahead = wakeups.waitPast(9, 50, signal);
    wakeups.committed(7);
    expect(await behind).toBe(true);
    expect(await ahead).toBe(false);
    expect(wakeups.waiting).toBe(0);
  });

  it('answers at once for a cursor already known to be passed: a commit just before the wait is not missed', async () => {
    const wakeups = new Wakeups();
    wakeups.committed(12);
    wakeups.committed(3);
    expect(wakeups.newestKnown).toBe(12);
    expect(await wakeups.waitPast(11, FOREVER_MS, new AbortController().signal)).toBe(true);
    expect(wakeups.waiting).toBe(0);
  });

  it('gives up when the signal aborts, and never waits on an aborted one', async () => {
    const wakeups = new Wakeups();
    const controller = new AbortController();
    const waiting = wakeups.waitPast(0, FOREVER_MS, controller.signal);
    expect(wakeups.waiting).toBe(1);
    controller.abort();
    expect(await waiting).toBe(false);
    expect(await wakeups.waitPast(0, FOREVER_MS, controller.signal)).toBe(false);
    expect(wakeups.waiting).toBe(0);
  });
});
