// IPA's command results: every command an agent accepts becomes an object
// `{id, command_name, command_params, command_status, command_error,
// command_result}` that Anvil polls on GET /v1/commands. One command runs at
// a time, as in IPA (a second one while the first runs is AgentIsBusy).
import { randomUUID } from 'node:crypto';
import { AgentCommandError } from './command-error.js';

export type CommandStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** IPA serializes a failure as its exception: class name, HTTP-ish code, message, details. */
export interface CommandErrorBody {
  type: string;
  code: number;
  message: string;
  details: string;
}

export interface CommandView {
  id: string;
  command_name: string;
  command_params: Record<string, unknown>;
  command_status: CommandStatus;
  command_error: CommandErrorBody | null;
  command_result: unknown;
}

export interface CommandOutcome {
  result: unknown;
  /**
   * Runs once the result has been reported (the wait=true answer sent, or
   * at once for wait=false): powering off or rebooting the host must not
   * cut off the answer that says it worked.
   */
  afterReport?: () => void;
}

export type CommandRun = (params: Record<string, unknown>, signal: AbortSignal) => Promise<CommandOutcome>;

/** How many finished commands an agent remembers; Anvil only ever reads the last few. */
const KEPT_COMMANDS = 100;

export class RunningCommand {
  readonly id = randomUUID();
  status: CommandStatus = 'RUNNING';
  error: CommandErrorBody | null = null;
  result: unknown = null;
  readonly done: Promise<void>;
  private afterReport: (() => void) | undefined;

  constructor(
    readonly name: string,
    readonly params: Record<string, unknown>,
    run: CommandRun,
    signal: AbortSignal,
  ) {
    this.done = run(params, signal).then(
      (outcome) => {
        this.status = 'SUCCEEDED';
        this.result = outcome.result;
        this.afterReport = outcome.afterReport;
      },
      (err: unknown) => {
        this.status = 'FAILED';
        this.error = errorBody(err);
      },
    );
  }

  /** The result was seen (or nobody waits for it): do what had to wait for that. */
  reported(): void {
    const after = this.afterReport;
    this.afterReport = undefined;
    after?.();
  }

  view(): CommandView {
    return {
      id: this.id,
      // IPA names a command by its method alone: `execute_deploy_step`, not `deploy.execute_deploy_step`.
      command_name: this.name.slice(this.name.indexOf('.') + 1),
      command_params: withoutToken(this.params),
      command_status: this.status,
      command_error: this.error,
      command_result: this.result,
    };
  }
}

export class CommandLog {
  private readonly commands: RunningCommand[] = [];

  get busy(): boolean {
    return this.commands.some((c) => c.status === 'RUNNING');
  }

  start(name: string, params: Record<string, unknown>, run: CommandRun, signal: AbortSignal): RunningCommand {
    const command = new RunningCommand(name, params, run, signal);
    this.commands.push(command);
    if (this.commands.length > KEPT_COMMANDS) this.commands.splice(0, this.commands.length - KEPT_COMMANDS);
    return command;
  }

  list(): CommandView[] {
    return this.commands.map((c) => c.view());
  }

  get(id: string): RunningCommand | undefined {
    return this.commands.find((c) => c.id === id);
  }
}

function errorBody(err: unknown): CommandErrorBody {
  if (err instanceof AgentCommandError)
    return { type: err.type, code: err.code, message: err.summary, details: err.details };
  // IPA wraps whatever is not one of its own errors this way.
  const details = err instanceof Error ? err.message : String(err);
  return { type: 'CommandExecutionError', code: 500, message: 'Command execution failed', details };
}

/** The token never echoes back in a command's params, as secrets never leave (DESIGN.md decision 10). */
function withoutToken(params: Record<string, unknown>): Record<string, unknown> {
  if (!('agent_token' in params)) return params;
  return { ...params, agent_token: '******' };
}
