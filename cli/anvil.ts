#!/usr/bin/env node
import { CommanderError } from 'commander';
import { CliError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { buildProgram } from './program.js';

// The entry point: errors end here, as one stderr line each and the exit code scripts rely on.

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // Exit now: an error thrown by `serve` after its servers started listening must not leave them running.
  process.exit(exitCodeOf(err));
}

function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; every other complaint of the parser is a usage error.
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof CliError) {
    process.stderr.write(
      `${err.message
        .split('\n')
        .map((line) => `anvil: ${line}`)
        .join('\n')}\n`,
    );
    return err.exitCode;
  }
  process.stderr.write(`anvil: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.failure;
}
