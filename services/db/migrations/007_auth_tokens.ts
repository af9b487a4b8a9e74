import type { Knex } from 'knex';

export const name = '007_auth_tokens';

/** API tokens: only a hash of each secret is kept; a token is listed by its id. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('auth_tokens', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    t.string('secret_hash', 64).notNullable().unique();
    t.string('role', 16).notNullable();
    t.string('description', 255).notNullable().defaultTo('');
    t.string('created_at', 40).notNullable();
    t.string('expires_at', 40).nullable();
    t.string('revoked_at', 40).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('auth_tokens');
}
