/**
 * How hard the fuzz properties run: the one place that decides it for every
 * `*.property.test.ts` that fuzzes what a network peer can reach.
 *
 * - In `npm test`: each property runs the fixed, small number of inputs its
 *   file asks for, so that all of them together stay within a minute.
 * - Under `ANVIL_FUZZ_SECONDS=N` (`npm run fuzz -- --seconds N`): each property
 *   runs for its share of N seconds (N / `ANVIL_FUZZ_PROPERTIES`, which
 *   bench/fuzz.ts counts; N each without it), as many inputs as fit.
 *
 * `ANVIL_FUZZ_SEED` (with `ANVIL_FUZZ_PATH`, to go straight to the failing
 * input) replays a run: a failure prints both; without a seed every run draws
 * a new one. With `ANVIL_FUZZ_REPORT`
 * set, each property appends one JSON line to that file: its name, the inputs
 * it tried and whether it failed.
 */
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect } from 'vitest';

function positive(name: string): number | null {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return null;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${raw}`);
  return value;
}

const SECONDS = positive('ANVIL_FUZZ_SECONDS');
const PROPERTIES = positive('ANVIL_FUZZ_PROPERTIES') ?? 1;
const SEED = process.env.ANVIL_FUZZ_SEED === undefined ? null : Number(process.env.ANVIL_FUZZ_SEED);
if (SEED !== null && !Number.isSafeInteger(SEED)) throw new Error('ANVIL_FUZZ_SEED must be an integer');
const PATH = process.env.ANVIL_FUZZ_PATH;
const REPORT = process.env.ANVIL_FUZZ_REPORT;
/** A failure's report is cut here: an input of 60 KB would bury the reason; the seed and path replay it whole. */
const MAX_REPORT_CHARS = 4000;

/** Whether this is a timed run (`npm run fuzz`) rather than the quick one of `npm test`. */
export const FUZZ_TIMED = SECONDS !== null;

/** Milliseconds one property runs for in a timed run. */
const SHARE_MS = SECONDS === null ? 0 : Math.max(100, (SECONDS * 1000) / PROPERTIES);

/**
 * The timeout of a test that runs one property: `quickMs` in `npm test`; in a
 * timed run its share, with room for the last input and a shrink after a failure.
 */
export function fuzzTimeout(quickMs: number): number {
  return SECONDS === null ? quickMs : SHARE_MS + Math.max(quickMs, 60_000);
}

export interface FuzzOptions {
  /** Inputs tried in `npm test`. */
  runs: number;
  /** A single input taking longer than this fails the property (a hang); none by default. */
  inputTimeoutMs?: number;
  /** The name in the report; the running test's name by default. */
  name?: string;
}

/** What one property did, as appended to `ANVIL_FUZZ_REPORT`. */
export interface FuzzRecord {
  file: string;
  property: string;
  /** Inputs tried (the failing one included). */
  runs: number;
  /** Inputs fast-check discarded (a precondition did not hold). */
  skipped: number;
  /** 1 when the property failed: fast-check stops at its first counterexample. */
  failures: number;
  seconds: number;
  seed: number;
}

/**
 * Runs `property` as hard as this run asks, records what it did, and fails
 * the test with fast-check's report (seed, path, counterexample) when an
 * input breaks it.
 */
export async function fuzz<Ts>(property: fc.IRawProperty<Ts>, options: FuzzOptions): Promise<void> {
  const parameters: fc.Parameters<Ts> = {
    ...(SEED === null ? {} : { seed: SEED }),
    ...(SEED === null || PATH === undefined ? {} : { path: PATH }),
    ...(options.inputTimeoutMs === undefined ? {} : { timeout: options.inputTimeoutMs }),
    ...(SECONDS === null
      ? { numRuns: options.runs }
      : { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: SHARE_MS, markInterruptAsFailure: false }),
  };
  const started = performance.now();
  const details = await fc.check(property, parameters);
  const state = expect.getState();
  const record: FuzzRecord = {
    file: state.testPath ?? 'unknown',
    property: options.name ?? state.currentTestName ?? 'unnamed',
    runs: details.numRuns,
    skipped: details.numSkips,
    failures: details.failed ? 1 : 0,
    seconds: Math.round((performance.now() - started) / 10) / 100,
    seed: details.seed,
  };
  if (REPORT !== undefined) appendFileSync(REPORT, `${JSON.stringify(record)}\n`);
  if (details.failed) {
    const report = (await fc.asyncDefaultReportMessage(details)) ?? `property failed (seed ${details.seed})`;
    const shown = report.length > MAX_REPORT_CHARS ? `${report.slice(0, MAX_REPORT_CHARS)} … (cut)` : report;
    const error = details.errorInstance;
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${shown}\nReplay: ANVIL_FUZZ_SEED=${details.seed} ANVIL_FUZZ_PATH=${details.counterexamplePath ?? ''}\nGot: ${why}`,
      { cause: error },
    );
  }
}
