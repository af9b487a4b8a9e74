import { TokenStore, type NewToken } from '../../services/auth/index.js';
import { ConfigError, loadConfig } from '../../services/config/index.js';
import { migrateToLatest, openDatabase } from '../../services/db/index.js';
import { UsageError } from '../errors.js';

/**
 * The first admin token, written straight into the database the server's
 * configuration names (a fresh one is migrated first), for `ANVIL_AUTH=token`
 * before any token exists to ask the API with.
 */
export async function bootstrapToken(configFile: string | undefined, spec: NewToken): Promise<Record<string, unknown>> {
  let config;
  try {
    config = loadConfig(process.env, configFile);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const db = openDatabase(config.database.url);
  try {
    await migrateToLatest(db.knex);
    const { token, secret } = await new TokenStore(db.knex).create(spec);
    return { ...token, token: secret };
  } finally {
    await db.close();
  }
}
