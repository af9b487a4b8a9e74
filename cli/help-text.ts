import type { Command } from 'commander';

/** Adds "Examples:" after a command's help: every command shows how it is used. */
export function withExamples(command: Command, ...examples: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
}
