// DESIGN decision 7, "BMCs are fragile", in one place: every BMC call goes
// through a BmcCallGuard, which gives it a deadline, retries what is worth
// retrying with backoff and jitter, lets one call at a time reach each BMC,
// bounds the calls in flight overall, and tells an observer how it went.
import { backoffDelayMs } from './backoff.js';
import { bmcErrorOf, type BmcError, type BmcFailure } from './errors.js';
import { KeyedLock } from './keyed-lock.js';
import { Semaphore } from './semaphore.js';

export interface GuardPolicy {
  /** Deadline of one attempt. Sushy's default request timeout is 60 s; BMCs are slow. */
  timeoutMs: number;
  /** Deadline of an attempt that walks a whole inventory (dozens of requests). */
  inspectTimeoutMs: number;
  /** Attempts in all, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** BMC calls in flight at once, over all BMCs. */
  maxConcurrent: number;
}

export const DEFAULT_GUARD_POLICY: Readonly<GuardPolicy> = {
  timeoutMs: 60_000,
  inspectTimeoutMs: 300_000,
  attempts: 3,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxConcurrent: 64,
};

/**
 * Time and chance, injectable so retry tests run instantly and always the same way.
 * Free functions, not methods: the guard merges a partial clock over the system one.
 */
export interface GuardClock {
  /** Milliseconds, for durations only. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), for jitter. */
  random: () => number;
}

const SYSTEM_CLOCK: GuardClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export type BmcCallOutcome = 'ok' | 'error' | 'timeout';

export interface BmcCallEvent {
  driver: string;
  operation: string;
  bmc: string;
  outcome: BmcCallOutcome;
  /** From the moment the call had its BMC to itself until it ended, backoff pauses included. */
  seconds: number;
  attempts: number;
  /** The error the caller got, when it failed; credential-free. */
  error?: Error;
}

/** Told of every call once it ends; services feed Prometheus and logs from it. */
export type BmcCallObserver = (event: BmcCallEvent) => void;

export interface BmcCallGuardOptions {
  policy?: Partial<GuardPolicy>;
  onCall?: BmcCallObserver;
  clock?: Partial<GuardClock>;
}

export interface GuardedCall<T> {
  driver: string;
  operation: string;
  /** The lock key: host:port, plus the system path on a multi-system Redfish service. */
  bmc: string;
  run(): Promise<T>;
  /** How the driver reads a failed attempt; null for what is not the BMC's doing (a bug), which passes through untouched. */
  classify(error: unknown): BmcFailure | null;
  /** Masked wherever they appear in a message: the BMC password. */
  secrets: readonly string[];
  /** This call's attempt deadline, for operations slower than most. */
  timeoutMs?: number;
  /**
   * false when doing it twice is not doing it once (a reboot, a firmware
   * update): an attempt that timed out may have been carried out, so it is
   * not repeated. Failures the BMC answered are retried all the same.
   */
  idempotent?: boolean;
}

/** The guard's own deadline passing; read as a timeout, like the clients' own. */
class DeadlineExceeded extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown };

export class BmcCallGuard {
  readonly policy: Readonly<GuardPolicy>;
  readonly clock: GuardClock;
  private readonly perBmc = new KeyedLock();
  private readonly inFlight: Semaphore;
  private readonly onCall: BmcCallObserver | undefined;

  constructor(options: BmcCallGuardOptions = {}) {
    this.policy = { ...DEFAULT_GUARD_POLICY, ...options.policy };
    if (!Number.isInteger(this.policy.attempts) || this.policy.attempts < 1)
      throw new RangeError('attempts must be a positive integer');
    this.clock = { ...SYSTEM_CLOCK, ...options.clock };
    this.inFlight = new Semaphore(this.policy.maxConcurrent);
    this.onCall = options.onCall;
  }

  async call<T>(call: GuardedCall<T>): Promise<T> {
    const release = await this.perBmc.acquire(call.bmc);
    const started = this.clock.now();
    let attempts = 0;
    // An attempt the deadline gave up on may still be talking to the BMC.
    // Nothing else reaches that BMC until it has finished: a wedged BMC must
    // not be handed a second command on top of the first.
    let stillRunning: Promise<void> = Promise.resolve();
    try {
      for (;;) {
        attempts += 1;
        await stillRunning;
        const { attempt, running } = this.attempt(call);
        stillRunning = running;
        const result = await attempt;
        if (result.ok) {
          this.observe(call, 'ok', started, attempts);
          return result.value;
        }
        const failure = this.read(result.error, call);
        if (failure === null) {
          this.observe(call, 'error', started, attempts, result.error instanceof Error ? result.error : undefined);
          throw result.error;
        }
        const again =
          failure.transient &&
          attempts < this.policy.attempts &&
          !(failure.kind === 'timeout' && call.idempotent === false);
        if (!again) {
          const error: BmcError = bmcErrorOf(
            { driver: call.driver, operation: call.operation, bmc: call.bmc, attempts },
            failure,
          );
          this.observe(call, failure.kind === 'timeout' ? 'timeout' : 'error', started, attempts, error);
          throw error;
        }
        await this.clock.sleep(backoffDelayMs(attempts, this.policy, this.clock.random));
      }
    } finally {
      void stillRunning.then(release);
    }
  }

  /** One try under a global permit, raced against the deadline. `running` settles when the work itself does. */
  private attempt<T>(call: GuardedCall<T>): { attempt: Promise<Attempt<T>>; running: Promise<void> } {
    const permit = this.inFlight.acquire();
    const work = permit.then(() => call.run());
    const running = work.then(
      () => undefined,
      () => undefined,
    );
    void Promise.all([permit, running]).then(([give]) => give());
    const timeoutMs = call.timeoutMs ?? this.policy.timeoutMs;
    const attempt = permit.then(async (): Promise<Attempt<T>> => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineExceeded(timeoutMs)), timeoutMs);
      });
      try {
        return { ok: true, value: await Promise.race([work, deadline]) };
      } catch (error) {
        return { ok: false, error };
      } finally {
        clearTimeout(timer);
      }
    });
    return { attempt, running };
  }

  private read(error: unknown, call: GuardedCall<unknown>): BmcFailure | null {
    const failure =
      error instanceof DeadlineExceeded
        ? { kind: 'timeout' as const, transient: true, message: error.message }
        : call.classify(error);
    return failure === null ? null : { ...failure, message: redact(failure.message, call.secrets) };
  }

  private observe(
    call: GuardedCall<unknown>,
    outcome: BmcCallOutcome,
    started: number,
    attempts: number,
    error?: Error,
  ): void {
    if (this.onCall === undefined) return;
    const event: BmcCallEvent = {
      driver: call.driver,
      operation: call.operation,
      bmc: call.bmc,
      outcome,
      seconds: Math.max(0, this.clock.now() - started) / 1000,
      attempts,
      ...(error === undefined ? {} : { error }),
    };
    try {
      this.onCall(event);
    } catch {
      // A broken metrics hook must not turn a good power-on into a failure.
    }
  }
}

/** Replaces every occurrence of each secret with Ironic's mask. */
function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('******');
  return out;
}
