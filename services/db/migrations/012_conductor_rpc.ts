import type { Knex } from 'knex';

export const name = '012_conductor_rpc';

/** Where each conductor answers the API's synchronous hardware calls (DESIGN decision 13). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('conductors', (t) => {
    t.string('rpc_url', 255).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('conductors', (t) => {
    t.dropColumn('rpc_url');
  });
}
