import type { Knex } from 'knex';
import { createIpamTables, dropIpamTables } from '../../../ipam/index.js';

export const name = '002_ipam';

export async function up(knex: Knex): Promise<void> {
  await createIpamTables(knex);
}

export async function down(knex: Knex): Promise<void> {
  await dropIpamTables(knex);
}
