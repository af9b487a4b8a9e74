#!/usr/bin/env node
import { Command, Option } from 'commander';

/**
 * `anvil`: the operator CLI. Apart from `serve`, which starts the service in
 * this process, its commands speak only to the REST API over HTTP.
 */
const program = new Command('anvil').description('Anvil bare-metal provisioning').showHelpAfterError();

program
  .command('serve')
  .description('run the Anvil service (API and conductor) with the ANVIL_* configuration')
  .addOption(
    new Option('--role <role>', 'what this process runs: everything, the API, a conductor, or the network boot services').choices(['all', 'api', 'conductor', 'pxe']).default('all'),
  )
  .option('--config <file>', 'YAML configuration file (also ANVIL_CONFIG)')
  .addHelpText(
    'after',
    '\nExamples:\n  ANVIL_API_PORT=6385 anvil serve\n' +
      '  ANVIL_DATABASE_URL=postgres://anvil@db/anvil ANVIL_CONDUCTOR_NAME=c1 anvil serve --role conductor\n',
  )
  .action(async (opts: { config?: string; role: 'all' | 'api' | 'conductor' | 'pxe' }) => {
    // The composition root lives with the API; only `serve` loads it.
    const { loadConfig, ConfigError } = await import('../services/config.js');
    const { startService } = await import('../api/main.js');
    let service;
    try {
      service = await startService(loadConfig(process.env, opts.config ?? process.env.ANVIL_CONFIG), { role: opts.role });
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
  });

await program.parseAsync(process.argv);
