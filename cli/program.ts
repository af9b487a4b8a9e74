import { Command, Option } from 'commander';
import { allocationCommand } from './commands/allocation.js';
import { completionCommand } from './commands/completion.js';
import { demoCommand } from './commands/demo.js';
import { enrollCommand } from './commands/enroll.js';
import { eventsCommand } from './commands/events.js';
import { fleetCommand } from './commands/fleet.js';
import { ipamCommand } from './commands/ipam.js';
import { machineCommand } from './commands/machine.js';
import { nodeCommand } from './commands/node.js';
import { portCommand } from './commands/port.js';
import { serveCommand } from './commands/serve.js';
import { simCommand } from './commands/sim.js';
import { tokenCommand } from './commands/token.js';
import { withExamples } from './help-text.js';
import { OUTPUT_FORMATS } from './output.js';
import { DEFAULT_URL } from './settings.js';

/**
 * The `anvil` command tree. Apart from `serve`, which starts the service in
 * this process, its commands speak only to the REST API over HTTP.
 */
export function buildProgram(): Command {
  const program = new Command('anvil')
    .description('Anvil bare-metal provisioning')
    .option('--url <url>', `Anvil API endpoint (env ANVIL_URL; default ${DEFAULT_URL})`)
    .option('--token <token>', 'bearer token, with ANVIL_AUTH=token (env ANVIL_TOKEN)')
    .option('--username <name>', 'user for basic auth, with ANVIL_AUTH=basic (env ANVIL_USERNAME)')
    .option('--password <password>', 'password for basic auth (env ANVIL_PASSWORD)')
    .option('--cacert <file>', 'PEM CA certificates to trust for an https URL (env ANVIL_CACERT)')
    .option(
      '--config <file>',
      'CLI config file with url, token or username/password, cacert, output (default ~/.config/anvil/config.yaml)',
    )
    .addOption(
      new Option('-o, --output <format>', 'table for people, json or yaml for scripts').choices(OUTPUT_FORMATS),
    );
  for (const command of [
    serveCommand(),
    enrollCommand('enroll'),
    nodeCommand(),
    portCommand(),
    allocationCommand(),
    machineCommand(),
    ipamCommand(),
    eventsCommand(),
    fleetCommand(),
    simCommand(),
    demoCommand(),
    tokenCommand(),
  ]) {
    program.addCommand(command);
  }
  program.addCommand(completionCommand(program));
  // Parser complaints become one line and exit 2 (see anvil.ts), on every command of the tree.
  const output = {
    outputError: (text: string, write: (s: string) => void) =>
      write(`anvil: ${text.replace(/^error: /, '').trimEnd()} (see --help)\n`),
  };
  for (const command of [program, ...descendants(program)]) command.exitOverride().configureOutput(output);
  return withExamples(
    program,
    'export ANVIL_URL=http://anvil.example:6385',
    'anvil enroll -f rack-r12.yaml',
    'anvil node manage --selector rack=r12 --wait && anvil node provide --selector rack=r12 --wait',
    'anvil fleet status',
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage or invalid input, 3 some of a batch failed, 130 interrupted while waiting.',
  );
}

export function descendants(command: Command): Command[] {
  return command.commands.flatMap((sub) => [sub, ...descendants(sub)]);
}
