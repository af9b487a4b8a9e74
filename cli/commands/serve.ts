import { Command, Option } from 'commander';
import { withExamples } from '../help-text.js';

/**
 * `anvil serve`: the service itself, in this process. The one command that
 * loads code from outside cli/; it does so lazily, so the operator commands
 * never load the server.
 */
export function serveCommand(): Command {
  const command = new Command('serve')
    .description('run the Anvil service (API and conductor) with the ANVIL_* configuration')
    .addOption(
      new Option(
        '--role <role>',
        'what this process runs: everything, the API, a conductor, or the network boot services',
      )
        .choices(['all', 'api', 'conductor', 'pxe'])
        .default('all'),
    )
    .option('--config <file>', 'YAML configuration file (also ANVIL_CONFIG)')
    .action(async (_opts: unknown, cmd: Command) => {
      // The program's global --config takes the flag wherever it is written, so serve reads it from there.
      const opts = cmd.optsWithGlobals<{ config?: string; role: 'all' | 'api' | 'conductor' | 'pxe' }>();
      // Only `serve` loads the composition root (server/).
      const { loadConfig, ConfigError } = await import('../../services/config/index.js');
      const { startService } = await import('../../server/index.js');
      let service;
      try {
        service = await startService(loadConfig(process.env, opts.config ?? process.env.ANVIL_CONFIG), {
          role: opts.role,
        });
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`anvil: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      const stop = () => {
        void service.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // SIGHUP reloads what can be reloaded (the TLS certificate, when there is one), and never stops the service.
      process.on('SIGHUP', () => {});
    });
  return withExamples(
    command,
    'ANVIL_API_PORT=6385 anvil serve',
    'ANVIL_DATABASE_URL=postgres://anvil@db/anvil ANVIL_CONDUCTOR_NAME=c1 anvil serve --role conductor',
  );
}
