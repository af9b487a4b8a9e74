import { EXIT, type ExitCode } from './exit-codes.js';

/** An error the CLI reports as one line on stderr, with the exit code it stands for. */
export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCode;
}

/** A wrong command line, flag value or configuration: exit 2, nothing was sent. */
export class UsageError extends CliError {
  readonly exitCode = EXIT.usage;
  override readonly name = 'UsageError';
}

/** An input file that failed validation; every problem is its own line, each with its line number. */
export class InvalidInput extends CliError {
  readonly exitCode = EXIT.usage;
  override readonly name = 'InvalidInput';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** The API answered with an error; the message is the server's faultstring. */
export class ApiError extends CliError {
  readonly exitCode = EXIT.failure;
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** No HTTP answer at all: connection refused, DNS, timeout. */
export class Unreachable extends CliError {
  readonly exitCode = EXIT.failure;
  override readonly name = 'Unreachable';
}

/** A node did not reach the state a --wait asked for. */
export class WaitFailed extends CliError {
  readonly exitCode = EXIT.failure;
  override readonly name = 'WaitFailed';
}

/** A local program (anvil-sim) could not run or failed. */
export class ChildFailed extends CliError {
  readonly exitCode = EXIT.failure;
  override readonly name = 'ChildFailed';
}

/** `anvil demo` could not go on: what it asked of Anvil or the sim did not happen. */
export class DemoFailed extends CliError {
  readonly exitCode = EXIT.failure;
  override readonly name = 'DemoFailed';
}
