/**
 * The fuzz properties of the suite, run for longer: every `*.property.test.ts`
 * that fuzzes through test/support/fuzz.ts, each property given its share of
 * `--seconds N` (inputs as many as fit), then one line per property and the
 * totals: inputs tried, failures. Exits non-zero when any property failed; its
 * report names the seed and path that replay the failing input.
 * Usage: npm run fuzz -- --seconds N [--filter SUBSTRING]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FuzzRecord } from '../test/support/fuzz.js';

const ROOT = path.resolve(import.meta.dirname, '..');
/** How a property file says it runs through the harness. */
const USES_HARNESS = /from '(\.\.\/)+support\/fuzz\.js'/;
const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs');

function usage(message: string): never {
  console.error(`${message}\nUsage: npm run fuzz -- --seconds N [--filter SUBSTRING]`);
  process.exit(2);
}

function propertyFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.property.test.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => USES_HARNESS.test(readFileSync(file, 'utf8')))
    .sort();
}

function main(): void {
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, filter: { type: 'string' } } });
  const seconds = Number(values.seconds);
  if (values.seconds === undefined || !Number.isFinite(seconds) || seconds <= 0)
    usage('--seconds must be a positive number of seconds.');
  const files = propertyFiles(path.join(ROOT, 'test')).filter((file) => file.includes(values.filter ?? ''));
  if (files.length === 0) usage(`No property file matches --filter ${values.filter ?? ''}.`);
  const properties = countTests(files);
  const work = mkdtempSync(path.join(tmpdir(), 'anvil-fuzz-'));
  const report = path.join(work, 'report.jsonl');
  try {
    console.log(`${properties} properties in ${files.length} files, about ${seconds} s in all`);
    const started = performance.now();
    const run = spawnSync(process.execPath, [VITEST, 'run', '--no-file-parallelism', ...files], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        ANVIL_FUZZ_SECONDS: String(seconds),
        ANVIL_FUZZ_PROPERTIES: String(properties),
        ANVIL_FUZZ_REPORT: report,
      },
    });
    const records = readRecords(report);
    printRecords(records, (performance.now() - started) / 1000);
    const failed = records.some((record) => record.failures > 0);
    process.exitCode = run.status !== 0 || failed ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The tests in `files`, each taken for one property (some files generate one per route). */
function countTests(files: string[]): number {
  const listed = spawnSync(process.execPath, [VITEST, 'list', ...files], { cwd: ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`vitest list failed: ${listed.stderr}`);
  return listed.stdout.split('\n').filter((line) => line.includes(' > ')).length;
}

/** The records the properties appended; none when no property ran (vitest failed before any). */
function readRecords(file: string): FuzzRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FuzzRecord);
}

function printRecords(records: FuzzRecord[], wallSeconds: number): void {
  const rows = records.map((record) => ({
    property: `${path.relative(ROOT, record.file)} > ${record.property}`.slice(0, 150),
    inputs: record.runs,
    failures: record.failures,
    seconds: record.seconds,
  }));
  console.table(rows);
  const inputs = records.reduce((sum, record) => sum + record.runs, 0);
  const failures = records.reduce((sum, record) => sum + record.failures, 0);
  console.log(
    `${records.length} properties, ${inputs} inputs tried, ${failures} failed, ${wallSeconds.toFixed(0)} s wall`,
  );
}

main();
