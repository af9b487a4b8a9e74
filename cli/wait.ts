import { WaitFailed } from './errors.js';
import type { AnvilClient } from './http-client.js';
import { judge, type NodeGoal } from './node-goals.js';
import { nodePath, type NodeRecord } from './node-record.js';

export interface WaitOptions {
  /** Give up after this long; null waits as long as it takes (`--wait` without a value). */
  timeoutMs: number | null;
  /** Aborted by Ctrl-C: stop polling, leave the node to the conductor. */
  signal: AbortSignal;
  /** Each read of the node, for the progress display. */
  onRead?: (node: NodeRecord) => void;
}

/** Thrown when waiting was stopped by the operator; the operation itself goes on. */
export class WaitInterrupted extends Error {
  override readonly name = 'WaitInterrupted';
}

const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 2_000;

/**
 * Polls `GET /v1/nodes/{id}` until the node reaches `goal` or fails. The
 * interval starts short (fake-hardware finishes at once) and backs off to
 * 2 s, so a batch of hundreds waiting for hours does not hammer the API.
 */
export async function waitForNode(
  client: AnvilClient,
  ident: string,
  goal: NodeGoal,
  options: WaitOptions,
): Promise<NodeRecord> {
  const deadline = options.timeoutMs === null ? null : Date.now() + options.timeoutMs;
  let interval = FIRST_POLL_MS;
  for (;;) {
    if (options.signal.aborted) throw new WaitInterrupted('stopped waiting');
    const node = await client.get<NodeRecord>(nodePath(ident));
    options.onRead?.(node);
    const verdict = judge(node, goal);
    if (verdict.kind === 'done') return node;
    if (verdict.kind === 'failed') throw new WaitFailed(verdict.reason);
    if (deadline !== null && Date.now() >= deadline) {
      throw new WaitFailed(
        `timed out after ${Math.round(options.timeoutMs! / 1000)} s in "${node.provision_state}" (power ${node.power_state ?? 'unknown'})`,
      );
    }
    await sleep(deadline === null ? interval : Math.min(interval, Math.max(0, deadline - Date.now())), options.signal);
    interval = Math.min(interval * 2, MAX_POLL_MS);
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
