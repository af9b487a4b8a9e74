import type { Knex } from 'knex';

/** Whether `knex` (or a transaction of it) speaks to PostgreSQL; otherwise it is SQLite. */
export function isPostgres(knex: Knex): boolean {
  // knex types its client as any: read the dialect as the unknown it is.
  const client: unknown = knex.client;
  return typeof client === 'object' && client !== null && 'dialect' in client && client.dialect === 'postgresql';
}
