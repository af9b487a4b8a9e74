import type { Command } from 'commander';
import { AnvilClient } from './http-client.js';
import { Printer } from './output.js';
import { resolveSettings, type GlobalFlags, type Settings } from './settings.js';

/** What every API command works with, from the global flags, environment and config file. */
export interface CommandContext {
  settings: Settings;
  client: AnvilClient;
  printer: Printer;
}

export function contextOf(command: Command): CommandContext {
  const settings = resolveSettings(command.optsWithGlobals<GlobalFlags>(), process.env);
  return {
    settings,
    client: new AnvilClient(settings.url, settings.credentials, settings.cacert),
    printer: new Printer(settings.output),
  };
}
