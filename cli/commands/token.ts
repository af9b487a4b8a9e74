import { Command, Option } from 'commander';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { withExamples } from '../help-text.js';
import { type Column, Printer } from '../output.js';

const ROLE_CHOICES = ['admin', 'operator', 'reader'];

type TokenRecord = Record<string, unknown> & {
  uuid: string;
  role: string;
  description: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
};

const TOKEN_COLUMNS: Column<TokenRecord>[] = [
  { header: 'UUID', value: (t) => t.uuid },
  { header: 'Role', value: (t) => t.role },
  { header: 'Description', value: (t) => t.description },
  { header: 'Created', value: (t) => t.created_at },
  { header: 'Expires', value: (t) => t.expires_at },
  { header: 'Revoked', value: (t) => t.revoked_at },
];

interface CreateFlags {
  role: 'admin' | 'operator' | 'reader';
  expires?: string;
  description?: string;
  bootstrap?: boolean;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `30d`, `12h`, `90m`, `3600s` or plain seconds. */
export function parseExpiry(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNITS[match[2] || 's']! : NaN;
  if (!(seconds > 0)) throw new UsageError(`--expires "${text}" is not a duration such as 30d, 12h, 90m or 3600`);
  return seconds;
}

/**
 * `anvil token`: bearer tokens for `ANVIL_AUTH=token`. Over the API (admins
 * only), except `create --bootstrap`, which writes the first admin token
 * straight into the database of this machine's configuration, no server needed.
 */
export function tokenCommand(): Command {
  const token = new Command('token').description('API bearer tokens: create, list, revoke');
  token.addCommand(
    withExamples(
      new Command('create')
        .description('create a token and print its secret, which is shown only this once')
        .addOption(new Option('--role <role>', 'what the token may do').choices(ROLE_CHOICES).makeOptionMandatory())
        .option('--expires <duration>', 'lifetime: 30d, 12h, 90m or seconds (default: never)')
        .option('--description <text>', 'what or who the token is for')
        .option(
          '--bootstrap',
          "write the token into the database of this machine's server configuration (ANVIL_* variables, ANVIL_CONFIG), no server needed",
        )
        .action(async (flags: CreateFlags, cmd: Command) => {
          const expiresInSeconds = flags.expires === undefined ? undefined : parseExpiry(flags.expires);
          if (flags.bootstrap) {
            const opts = cmd.optsWithGlobals<{ config?: string; output?: string }>();
            const printer = new Printer(opts.output === 'json' || opts.output === 'yaml' ? opts.output : 'table');
            const { bootstrapToken } = await import('./token-bootstrap.js');
            const made = await bootstrapToken(opts.config ?? process.env.ANVIL_CONFIG, {
              role: flags.role,
              ...(flags.description === undefined ? {} : { description: flags.description }),
              ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
            });
            printer.record(made);
            return;
          }
          const ctx = contextOf(cmd);
          const made = await ctx.client.post<TokenRecord>('/v1/anvil/tokens', {
            role: flags.role,
            ...(flags.description === undefined ? {} : { description: flags.description }),
            ...(expiresInSeconds === undefined ? {} : { expires_in: expiresInSeconds }),
          });
          ctx.printer.record(made);
        }),
      'anvil token create --role operator --expires 30d --description "baremetal-operator"',
      'ANVIL_DATA_DIR=/var/lib/anvil anvil token create --bootstrap --role admin',
    ),
  );
  token.addCommand(
    withExamples(
      new Command('list')
        .description('list tokens (never their secrets)')
        .action(async (_flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          const { tokens } = await ctx.client.get<{ tokens: TokenRecord[] }>('/v1/anvil/tokens');
          ctx.printer.list(tokens, TOKEN_COLUMNS, tokens);
        }),
      'anvil token list',
    ),
  );
  token.addCommand(
    withExamples(
      new Command('revoke')
        .description('revoke a token at once; it stays listed with the time it was revoked')
        .argument('<uuid>', 'the token to revoke')
        .action(async (uuid: string, _flags: unknown, cmd: Command) => {
          const ctx = contextOf(cmd);
          await ctx.client.delete(`/v1/anvil/tokens/${encodeURIComponent(uuid)}`);
          ctx.printer.message(`token ${uuid} revoked`, { uuid, revoked: true });
        }),
      'anvil token revoke 0b5c2c8e-8a39-4a47-9d3b-6f1f2d1c1e11',
    ),
  );
  return withExamples(token, 'anvil token create --role operator --expires 30d --description bmo', 'anvil token list');
}
