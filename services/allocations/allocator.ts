import { setTimeout as sleep } from 'node:timers/promises';
import { AllocationFailed } from '../errors.js';
import type { Logger } from '../logger.js';
import { noMatchError, orderCandidates, wantOf } from './rules.js';
import type { Allocation } from './model.js';
import type { AllocationRepository } from './repository.js';

/** How many matching nodes one round considers; they are tried in random order. */
const CANDIDATE_LIMIT = 1000;

/** Rounds over locked nodes, and the pause between them: Ironic's node_locked_retry_attempts and _interval. */
export interface LockedRetry {
  attempts: number;
  intervalMs: number;
}

const IRONIC_LOCKED_RETRY: LockedRetry = { attempts: 3, intervalMs: 1000 };

/**
 * A conductor's work on one allocation, as Ironic's do_allocate: find the
 * nodes that fit, try them in random order until one is claimed, and record
 * why when none can be. Nodes locked for a moment (a power sync, a PATCH)
 * are tried again for a few rounds; nodes that racing allocations took are
 * left out by the next query, so the allocation fails only when no fitting
 * node remains.
 */
export class Allocator {
  constructor(
    private readonly repo: AllocationRepository,
    private readonly log: Logger,
    private readonly lockedRetry: LockedRetry = IRONIC_LOCKED_RETRY,
  ) {}

  async process(allocation: Allocation): Promise<void> {
    let error: string | null;
    try {
      error = await this.allocate(allocation);
    } catch (err) {
      this.log.error({ err, allocation_uuid: allocation.uuid }, 'allocation failed unexpectedly');
      error = `Unexpected exception during allocation: ${err instanceof Error ? err.message : String(err)}`;
      await this.repo.fail(allocation.id, error);
      return;
    }
    if (error === null) return;
    this.log.info({ allocation_uuid: allocation.uuid, reason: error }, 'allocation failed');
    await this.repo.fail(allocation.id, new AllocationFailed(allocation.uuid, error).message);
  }

  /** Null once a node is claimed or the allocation stopped waiting (deleted meanwhile); else why it failed. */
  private async allocate(a: Allocation): Promise<string | null> {
    const want = wantOf(a);
    for (let round = 1; ; round++) {
      const fitting = await this.repo.candidates(want, CANDIDATE_LIMIT);
      if (fitting.length === 0) {
        const withoutTraits =
          a.traits.length > 0 && (await this.repo.candidates({ ...want, traits: [] }, 1)).length > 0;
        return noMatchError(a, withoutTraits);
      }
      let busy = 0;
      for (const candidate of orderCandidates(fitting, a.name)) {
        const outcome = await this.repo.claim(a, candidate);
        if (outcome === 'claimed') {
          this.log.info({ allocation_uuid: a.uuid, node_uuid: candidate.uuid }, 'node allocated');
          return null;
        }
        if (outcome === 'gone') return null;
        if (outcome === 'busy') busy++;
      }
      if (busy === 0) continue;
      if (round >= this.lockedRetry.attempts) return `could not reserve any of ${busy} suitable nodes`;
      await sleep(this.lockedRetry.intervalMs);
    }
  }
}
