import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideBootFailure,
  decidePowerDrift,
  decideRequest,
  FaultBook,
  faultSpecSchema,
  NO_FAULTS,
  resolveFaults,
  seededRandom,
} from '../../../sim/faults/index.js';

const constant = (value: number) => () => value;

describe('fault decisions', () => {
  it('proceeds at once with no faults', () => {
    expect(decideRequest(NO_FAULTS, Math.random)).toEqual({ kind: 'proceed', delayMs: 0 });
  });

  it('hangs before anything else', () => {
    expect(decideRequest({ ...NO_FAULTS, hang: true, errorRate: 1 }, constant(0))).toEqual({ kind: 'hang' });
  });

  it('answers errors at the error rate, from the random source', () => {
    const faults = { ...NO_FAULTS, errorRate: 0.3, errorStatus: 500 as const };
    expect(decideRequest(faults, constant(0.29))).toEqual({ kind: 'error', status: 500 });
    expect(decideRequest(faults, constant(0.3))).toEqual({ kind: 'proceed', delayMs: 0 });
  });

  it('adds latency plus bounded jitter', () => {
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.nat(1000),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (latencyMs, latencyJitterMs, r) => {
          const verdict = decideRequest({ ...NO_FAULTS, latencyMs, latencyJitterMs }, constant(r));
          expect(verdict.kind).toBe('proceed');
          if (verdict.kind === 'proceed') {
            expect(verdict.delayMs).toBeGreaterThanOrEqual(latencyMs);
            expect(verdict.delayMs).toBeLessThanOrEqual(latencyMs + latencyJitterMs);
          }
        },
      ),
    );
  });

  it('drifts power and fails boots at their rates', () => {
    expect(decidePowerDrift({ ...NO_FAULTS, powerDriftRate: 0.5 }, constant(0.4))).toBe(true);
    expect(decidePowerDrift({ ...NO_FAULTS, powerDriftRate: 0.5 }, constant(0.6))).toBe(false);
    expect(decideBootFailure({ ...NO_FAULTS, bootFailureRate: 1 }, constant(0.99))).toBe(true);
    expect(decideBootFailure(NO_FAULTS, constant(0))).toBe(false);
  });

  it('lets a host override the fleet field by field', () => {
    expect(resolveFaults({ latencyMs: 50, errorRate: 0.1 }, { errorRate: 0 })).toMatchObject({
      latencyMs: 50,
      errorRate: 0,
    });
    const book = new FaultBook();
    book.setFleet({ refuseAuth: true });
    book.setHost('sim-1', { hang: true });
    expect(book.forHost('sim-1')).toMatchObject({ refuseAuth: true, hang: true });
    expect(book.forHost(null)).toMatchObject({ refuseAuth: true, hang: false });
    book.setHost('sim-1', {});
    expect(book.host('sim-1')).toEqual({});
  });

  it('validates fault specifications strictly', () => {
    expect(faultSpecSchema.safeParse({ errorRate: 1.5 }).success).toBe(false);
    expect(faultSpecSchema.safeParse({ errorStatus: 502 }).success).toBe(false);
    expect(faultSpecSchema.safeParse({ surprise: true }).success).toBe(false);
    expect(faultSpecSchema.safeParse({ latencyMs: 10, hang: false }).success).toBe(true);
  });

  it('repeats a seeded random sequence in [0, 1)', () => {
    const a = seededRandom(9);
    const b = seededRandom(9);
    const xs = Array.from({ length: 100 }, () => a());
    expect(xs).toEqual(Array.from({ length: 100 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
