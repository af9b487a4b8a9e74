import type { RandomSource } from './random.js';
import type { Faults } from './spec.js';

/** What to do with one incoming request. */
export type RequestVerdict =
  { kind: 'hang' } | { kind: 'error'; status: 500 | 503 } | { kind: 'proceed'; delayMs: number };

/** Hang beats errors, errors beat latency: a dead BMC does not answer slowly. */
export function decideRequest(faults: Faults, random: RandomSource): RequestVerdict {
  if (faults.hang) return { kind: 'hang' };
  if (faults.errorRate > 0 && random() < faults.errorRate) return { kind: 'error', status: faults.errorStatus };
  const jitter = faults.latencyJitterMs > 0 ? Math.floor(random() * (faults.latencyJitterMs + 1)) : 0;
  return { kind: 'proceed', delayMs: faults.latencyMs + jitter };
}

export function decideAuthRefused(faults: Faults): boolean {
  return faults.refuseAuth;
}

export function decidePowerDrift(faults: Faults, random: RandomSource): boolean {
  return faults.powerDriftRate > 0 && random() < faults.powerDriftRate;
}

export function decideBootFailure(faults: Faults, random: RandomSource): boolean {
  return faults.bootFailureRate > 0 && random() < faults.bootFailureRate;
}
