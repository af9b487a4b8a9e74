/**
 * Compiles the sources to dist/ (`tsc`, as `npm run build` does but for the
 * UI), for benchmarks that measure Anvil as `npm start` runs it: from the
 * build, not through tsx.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';

export async function buildAnvil(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.json'], {
    cwd: path.join(import.meta.dirname, '..'),
  });
}
