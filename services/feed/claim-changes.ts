import type { ClaimChangeHook } from '../../ipam/index.js';
import type { ChangeRecorder } from './recorder.js';

/** IPAM's hook that records each claim made or released in the feed, in the claim's own transaction. */
export function recordClaimChanges(recorder: ChangeRecorder): ClaimChangeHook {
  return (trx, action, claim) => recorder.record(trx, [{ kind: 'ipam_claim', action, data: { ...claim } }]);
}
