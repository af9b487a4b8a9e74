import type { Knex } from 'knex';
import * as m001 from './migrations/001_nodes_and_ports.js';
import * as m002 from './migrations/002_ipam.js';
import * as m003 from './migrations/003_node_history.js';
import * as m004 from './migrations/004_allocations.js';
import * as m005 from './migrations/005_conductors.js';
import * as m006 from './migrations/006_node_inventory.js';
import * as m007 from './migrations/007_auth_tokens.js';
import * as m008 from './migrations/008_chassis.js';
import * as m009 from './migrations/009_portgroups.js';
import * as m010 from './migrations/010_deploy_templates.js';
import * as m011 from './migrations/011_volume.js';
import * as m012 from './migrations/012_conductor_rpc.js';
import * as m013 from './migrations/013_api_1_110_fields.js';
import * as m014 from './migrations/014_retire_agent_raid.js';
import * as m015 from './migrations/015_firmware_components.js';
import * as m016 from './migrations/016_node_health.js';
import * as m017 from './migrations/017_inspection_rules.js';
import * as m018 from './migrations/018_bios_settings.js';
import * as m019 from './migrations/019_change_feed.js';
import * as m020 from './migrations/020_machines.js';
import * as m021 from './migrations/021_node_row_stamps.js';
import * as m022 from './migrations/022_ipam_address_index.js';
import * as m023 from './migrations/023_node_pending_work_indexes.js';
import * as m024 from './migrations/024_change_view_keys.js';

interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

// Migrations are listed here rather than found on disk, so the same code runs
// from TypeScript sources (tests) and from the compiled dist/ tree.
const MIGRATIONS: Migration[] = [
  m001,
  m002,
  m003,
  m004,
  m005,
  m006,
  m007,
  m008,
  m009,
  m010,
  m011,
  m012,
  m013,
  m014,
  m015,
  m016,
  m017,
  m018,
  m019,
  m020,
  m021,
  m022,
  m023,
  m024,
];

const source: Knex.MigrationSource<Migration> = {
  getMigrations: async () => MIGRATIONS,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};

export async function migrateToLatest(knex: Knex): Promise<void> {
  await knex.migrate.latest({ migrationSource: source });
}
