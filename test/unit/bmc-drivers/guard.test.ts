import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../../bmc-drivers/backoff.js';
import {
  BmcAuthFailed,
  BmcRefused,
  BmcTimeout,
  BmcUnavailable,
  type BmcCallEvent,
  type BmcFailureKind,
} from '../../../bmc-drivers/index.js';
import type { BmcFailure } from '../../../bmc-drivers/errors.js';
import { BmcCallGuard, type GuardedCall, type GuardPolicy } from '../../../bmc-drivers/guard.js';
import { KeyedLock } from '../../../bmc-drivers/keyed-lock.js';

/** What a client would throw; the fake classifier reads it as the driver's would. */
class FakeClientError extends Error {
  constructor(
    readonly kind: BmcFailureKind,
    readonly transient: boolean,
    message: string,
  ) {
    super(message);
  }
}

function classify(error: unknown): BmcFailure | null {
  return error instanceof FakeClientError
    ? { kind: error.kind, transient: error.transient, message: error.message }
    : null;
}

/** A clock that only moves when the guard sleeps, and records every pause. */
function fakeClock() {
  const clock = { t: 0, pauses: [] as number[] };
  return {
    clock,
    options: {
      now: () => clock.t,
      sleep: async (ms: number) => {
        clock.pauses.push(ms);
        clock.t += ms;
      },
      random: () => 0.5,
    },
  };
}

function setup(policy: Partial<GuardPolicy> = {}) {
  const events: BmcCallEvent[] = [];
  const { clock, options } = fakeClock();
  const guard = new BmcCallGuard({
    policy: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000, timeoutMs: 1000, ...policy },
    clock: options,
    onCall: (event) => events.push(event),
  });
  return { guard, events, clock };
}

function call<T>(run: () => Promise<T>, extra: Partial<GuardedCall<T>> = {}): GuardedCall<T> {
  return {
    driver: 'fake',
    operation: 'get_power_state',
    bmc: '10.0.0.1:623',
    classify,
    secrets: ['hunter2-secret'],
    run,
    ...extra,
  };
}

/** A run that fails with each error in turn, then answers `value`. */
function script<T>(errors: Error[], value: T): { run: () => Promise<T>; calls: () => number } {
  let calls = 0;
  return {
    run: async () => {
      const error = errors[calls++];
      if (error) throw error;
      return value;
    },
    calls: () => calls,
  };
}

const never = (): Promise<never> => new Promise(() => undefined);
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('BmcCallGuard retries', () => {
  it('retries transient failures with exponential backoff and full jitter, then succeeds', async () => {
    const { guard, events, clock } = setup();
    const flaky = script(
      [new FakeClientError('unavailable', true, 'HTTP 503'), new FakeClientError('timeout', true, 'no answer')],
      'power on',
    );
    expect(await guard.call(call(flaky.run))).toBe('power on');
    expect(flaky.calls()).toBe(3);
    // random() = 0.5 of ceilings 100 and 200.
    expect(clock.pauses).toEqual([50, 100]);
    expect(events).toEqual([
      { driver: 'fake', operation: 'get_power_state', bmc: '10.0.0.1:623', outcome: 'ok', seconds: 0.15, attempts: 3 },
    ]);
  });

  it('gives up after the configured attempts with the last error', async () => {
    const { guard, events } = setup({ attempts: 4 });
    const failing = script(
      [1, 2, 3, 4].map((n) => new FakeClientError('unavailable', true, `HTTP 503 number ${n}`)),
      'never',
    );
    const error = await guard.call(call(failing.run)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BmcUnavailable);
    expect(error).toMatchObject({
      attempts: 4,
      transient: true,
      driver: 'fake',
      operation: 'get_power_state',
      bmc: '10.0.0.1:623',
    });
    expect((error as Error).message).toContain('HTTP 503 number 4');
    expect((error as Error).message).toContain('after 4 attempts');
    expect(failing.calls()).toBe(4);
    expect(events).toMatchObject([{ outcome: 'error', attempts: 4, error }]);
  });

  it('never retries an auth failure: retries lock BMC accounts', async () => {
    const { guard, clock } = setup();
    const refused = script([new FakeClientError('auth', false, 'the BMC refused the credentials')], 'never');
    await expect(guard.call(call(refused.run))).rejects.toBeInstanceOf(BmcAuthFailed);
    expect(refused.calls()).toBe(1);
    expect(clock.pauses).toEqual([]);
  });

  it('never retries a refusal (HTTP 4xx)', async () => {
    const { guard } = setup();
    const refused = script([new FakeClientError('refused', false, 'HTTP 400 PropertyUnknown')], 'never');
    await expect(guard.call(call(refused.run))).rejects.toBeInstanceOf(BmcRefused);
    expect(refused.calls()).toBe(1);
  });

  it('lets errors that are not the BMC doing pass through untouched and unretried', async () => {
    const { guard, events } = setup();
    const bug = new TypeError('cannot read properties of undefined');
    const broken = script([bug], 'never');
    await expect(guard.call(call(broken.run))).rejects.toBe(bug);
    expect(broken.calls()).toBe(1);
    expect(events).toMatchObject([{ outcome: 'error', attempts: 1, error: bug }]);
  });

  it('masks the password wherever a BMC message repeats it', async () => {
    const { guard } = setup({ attempts: 1 });
    const echo = script([new FakeClientError('refused', false, 'bad value hunter2-secret for Password')], 'never');
    const error = (await guard.call(call(echo.run)).catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain('hunter2-secret');
    expect(error.message).toContain('bad value ****** for Password');
  });

  it('survives an observer that throws', async () => {
    const guard = new BmcCallGuard({
      onCall: () => {
        throw new Error('metrics broke');
      },
    });
    expect(await guard.call(call(async () => 'ok'))).toBe('ok');
  });
});

describe('BmcCallGuard deadlines', () => {
  it('times out an attempt that never answers', async () => {
    const { guard, events } = setup({ attempts: 1, timeoutMs: 20 });
    const error = await guard.call(call(never)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BmcTimeout);
    expect((error as Error).message).toContain('no answer within 20 ms');
    expect(events).toMatchObject([{ outcome: 'timeout', attempts: 1 }]);
  });

  it('retries a timed-out idempotent call once the abandoned attempt has finished', async () => {
    const { guard } = setup({ attempts: 2, timeoutMs: 20 });
    const log: string[] = [];
    let n = 0;
    const run = async (): Promise<string> => {
      const mine = ++n;
      log.push(`start ${mine}`);
      if (mine === 1) await delay(60);
      log.push(`end ${mine}`);
      return `answer ${mine}`;
    };
    expect(await guard.call(call(run))).toBe('answer 2');
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('does not repeat a timed-out reboot, which may have happened', async () => {
    const { guard } = setup({ attempts: 3, timeoutMs: 20 });
    let runs = 0;
    const error = await guard
      .call(
        call(
          () => {
            runs += 1;
            return never();
          },
          { operation: 'set_power_state', idempotent: false },
        ),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BmcTimeout);
    expect(runs).toBe(1);
  });

  it('still retries a reboot the BMC answered with 503: it was not carried out', async () => {
    const { guard } = setup();
    const busy = script([new FakeClientError('unavailable', true, 'HTTP 503')], 'done');
    expect(await guard.call(call(busy.run, { idempotent: false }))).toBe('done');
    expect(busy.calls()).toBe(2);
  });

  it('holds the BMC until a timed-out attempt has really finished', async () => {
    const { guard } = setup({ attempts: 1, timeoutMs: 20 });
    const log: string[] = [];
    const slow = guard.call(
      call(async () => {
        log.push('slow start');
        await delay(80);
        log.push('slow end');
      }),
    );
    await expect(slow).rejects.toBeInstanceOf(BmcTimeout);
    log.push('caller saw timeout');
    await guard.call(call(async () => log.push('next')));
    expect(log).toEqual(['slow start', 'caller saw timeout', 'slow end', 'next']);
  });
});

/** Counts how many runs overlap, per key and overall. */
function overlapCounter() {
  const current = new Map<string, number>();
  const peak = new Map<string, number>();
  let total = 0;
  let peakTotal = 0;
  return {
    run: (key: string, work: () => Promise<void>) => async () => {
      current.set(key, (current.get(key) ?? 0) + 1);
      peak.set(key, Math.max(peak.get(key) ?? 0, current.get(key) ?? 0));
      peakTotal = Math.max(peakTotal, ++total);
      try {
        await work();
      } finally {
        current.set(key, (current.get(key) ?? 0) - 1);
        total -= 1;
      }
    },
    peak: (key: string) => peak.get(key) ?? 0,
    peakTotal: () => peakTotal,
  };
}

describe('BmcCallGuard concurrency', () => {
  it('never lets two calls to one BMC overlap, and serves them in order', async () => {
    const { guard } = setup();
    const counter = overlapCounter();
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) =>
        guard.call(
          call(
            counter.run('bmc-a', async () => {
              order.push(i);
              await delay(3);
            }),
            { bmc: 'bmc-a' },
          ),
        ),
      ),
    );
    expect(counter.peak('bmc-a')).toBe(1);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('runs calls to different BMCs at the same time', async () => {
    const { guard } = setup();
    const started: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const calls = ['bmc-a', 'bmc-b', 'bmc-c'].map((bmc) =>
      guard.call(
        call(
          async () => {
            started.push(bmc);
            await gate;
          },
          { bmc },
        ),
      ),
    );
    await delay(5);
    // All three are in flight before any of them may finish.
    expect(started.sort()).toEqual(['bmc-a', 'bmc-b', 'bmc-c']);
    open();
    await Promise.all(calls);
  });

  it('bounds the calls in flight over all BMCs', async () => {
    const { guard } = setup({ maxConcurrent: 2 });
    const counter = overlapCounter();
    const bmcs = ['a', 'b', 'c', 'd', 'e', 'f'];
    await Promise.all(
      bmcs.map((bmc) =>
        guard.call(
          call(
            counter.run(bmc, () => delay(3)),
            { bmc },
          ),
        ),
      ),
    );
    expect(counter.peakTotal()).toBe(2);
  });

  it('reports every call to the observer with its driver, operation and duration', async () => {
    const { guard, events } = setup({ attempts: 1, timeoutMs: 20 });
    await guard.call(call(async () => 'on'));
    await guard
      .call(
        call(async () => Promise.reject(new FakeClientError('refused', false, 'HTTP 400')), {
          operation: 'set_boot_device',
        }),
      )
      .catch(() => undefined);
    await guard.call(call(never, { operation: 'inspect_hardware' })).catch(() => undefined);
    expect(events.map(({ operation, outcome, attempts }) => ({ operation, outcome, attempts }))).toEqual([
      { operation: 'get_power_state', outcome: 'ok', attempts: 1 },
      { operation: 'set_boot_device', outcome: 'error', attempts: 1 },
      { operation: 'inspect_hardware', outcome: 'timeout', attempts: 1 },
    ]);
    for (const event of events) expect(event.seconds).toBeGreaterThanOrEqual(0);
  });
});

describe('KeyedLock', () => {
  it('forgets a key once nobody holds or waits for it', async () => {
    const lock = new KeyedLock();
    const first = await lock.acquire('bmc');
    const second = lock.acquire('bmc');
    expect(lock.size).toBe(1);
    first();
    (await second)();
    expect(lock.size).toBe(0);
  });
});

describe('backoffDelayMs', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('doubles the ceiling per retry up to the maximum', () => {
    const justUnderOne = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelayMs(retry, policy, justUnderOne))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
  });

  it('may be anything from zero (full jitter)', () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });
});
