import { EXIT, type ExitCode } from './exit-codes.js';

/** How one item of a batch ended. */
export type ItemStatus = 'ok' | 'failed' | 'interrupted' | 'not started';

export interface ItemOutcome {
  item: string;
  status: ItemStatus;
  /** What happened, for people: "manageable", "created, 2 ports", or the error. */
  detail: string;
  /** The node as last read, when there is one. */
  node?: Record<string, unknown>;
}

/**
 * Runs `work` over `items`, at most `concurrency` at a time. Once `signal`
 * is aborted no new item starts; items already sent are left to finish on
 * the server (their work decides what an interruption means for them).
 */
export async function runBatch(
  items: readonly string[],
  concurrency: number,
  signal: AbortSignal,
  work: (item: string) => Promise<ItemOutcome>,
): Promise<ItemOutcome[]> {
  const outcomes = new Array<ItemOutcome>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index]!;
      outcomes[index] = signal.aborted
        ? { item, status: 'not started', detail: 'not started: interrupted' }
        : await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  return outcomes;
}

/** 0 when every item succeeded, 1 when none did, 3 when some did; 130 when the operator interrupted. */
export function batchExitCode(outcomes: readonly ItemOutcome[]): ExitCode {
  if (outcomes.some((o) => o.status === 'interrupted' || o.status === 'not started')) return EXIT.interrupted;
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  if (failed === 0) return EXIT.ok;
  return failed === outcomes.length ? EXIT.failure : EXIT.partial;
}
