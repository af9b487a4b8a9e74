import type { Knex } from 'knex';
import { dropAddressValueIndex, indexAddressesByValue } from '../../../ipam/index.js';

export const name = '022_ipam_address_index';

export async function up(knex: Knex): Promise<void> {
  await indexAddressesByValue(knex);
}

export async function down(knex: Knex): Promise<void> {
  await dropAddressValueIndex(knex);
}
