import { batchExitCode, runBatch, type ItemOutcome } from './batch.js';
import type { CommandContext } from './context.js';
import { CliError } from './errors.js';
import type { ExitCode } from './exit-codes.js';
import { interruptOnSigint } from './interrupt.js';
import type { NodeGoal } from './node-goals.js';
import type { Column } from './output.js';
import { createProgress, type Progress } from './progress.js';
import { resolveTargets } from './targets.js';
import { waitForNode, WaitInterrupted } from './wait.js';

export interface NodeBatchRequest {
  names: readonly string[];
  selector: string | undefined;
  concurrency: number;
  /** undefined: do not wait; null: wait without a limit. */
  waitMs: number | null | undefined;
  /** The API call that starts the change on one node. */
  act: (ident: string) => Promise<void>;
  /** Where the change ends, when it is one that can be waited for. */
  goal: NodeGoal | null;
  /** What a started change without --wait reports. */
  accepted: string;
}

const OUTCOME_COLUMNS: Column<ItemOutcome>[] = [
  { header: 'Node', value: (o) => o.item },
  { header: 'Result', value: (o) => o.status },
  { header: 'Detail', value: (o) => o.detail },
];

/**
 * A node verb over names or a selector, with bounded concurrency and an
 * optional wait; prints one row per node and answers the batch exit code.
 */
export async function runNodeBatch(ctx: CommandContext, request: NodeBatchRequest): Promise<ExitCode> {
  const targets = await resolveTargets(ctx.client, request.names, request.selector);
  if (targets.length === 0) {
    process.stderr.write(`anvil: no node matches --selector ${request.selector ?? ''}; nothing to do\n`);
    ctx.printer.list([], OUTCOME_COLUMNS);
    return 0;
  }
  const waiting = request.waitMs !== undefined && request.goal !== null;
  // Progress goes to stdout beside a table; with JSON or YAML, stdout holds only the data.
  const progressStream = ctx.printer.format === 'table' ? process.stdout : process.stderr;
  const progress: Progress | null = waiting
    ? createProgress(progressStream, targets, progressStream.isTTY === true)
    : null;
  const interrupt = interruptOnSigint();
  let outcomes: ItemOutcome[];
  try {
    outcomes = await runBatch(targets, request.concurrency, interrupt.signal, async (ident) => {
      const outcome = await runOne(ctx, request, ident, interrupt.signal, progress);
      progress?.finish(ident, outcome.status, outcome.status === 'ok' ? '' : outcome.detail);
      return outcome;
    });
  } finally {
    progress?.close();
    interrupt.dispose();
  }
  ctx.printer.list(outcomes, OUTCOME_COLUMNS);
  for (const o of outcomes) if (o.status === 'failed') process.stderr.write(`anvil: ${o.item}: ${o.detail}\n`);
  const code = batchExitCode(outcomes);
  if (interrupt.signal.aborted) {
    const started = outcomes.filter((o) => o.status !== 'not started').length;
    process.stderr.write(
      `anvil: stopped waiting (interrupted); ${started} operation(s) continue server-side, follow them with \`anvil node list\`\n`,
    );
  }
  return code;
}

async function runOne(
  ctx: CommandContext,
  request: NodeBatchRequest,
  ident: string,
  signal: AbortSignal,
  progress: Progress | null,
): Promise<ItemOutcome> {
  try {
    await request.act(ident);
  } catch (err) {
    return { item: ident, status: 'failed', detail: messageOf(err) };
  }
  if (request.waitMs === undefined || request.goal === null)
    return { item: ident, status: 'ok', detail: request.accepted };
  try {
    const node = await waitForNode(ctx.client, ident, request.goal, {
      timeoutMs: request.waitMs,
      signal,
      onRead: (n) => progress?.read(ident, n),
    });
    return { item: ident, status: 'ok', detail: request.goal.state, node };
  } catch (err) {
    if (err instanceof WaitInterrupted)
      return { item: ident, status: 'interrupted', detail: 'still running server-side' };
    return { item: ident, status: 'failed', detail: messageOf(err) };
  }
}

export function messageOf(err: unknown): string {
  if (err instanceof CliError) return err.message;
  throw err;
}
