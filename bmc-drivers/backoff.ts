// Exponential backoff with full jitter (AWS architecture blog, "Exponential
// Backoff and Jitter"): many conductors retrying one BMC spread out instead
// of hitting it in step.

export interface BackoffPolicy {
  /** The ceiling of the first pause. */
  baseDelayMs: number;
  /** No pause is longer than this. */
  maxDelayMs: number;
}

/** The pause before retry number `retry` (1 for the first retry): uniform in [0, min(max, base * 2^(retry-1))). */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}
