import type { JsonObject } from '../nodes/index.js';

/** Ports of one node bonded together (a LAG or MLAG), as Ironic's portgroup. */
export interface Portgroup {
  id: number;
  uuid: string;
  name: string | null;
  node_id: number;
  /** Joined from nodes: what the API shows. */
  node_uuid: string;
  address: string | null;
  extra: JsonObject;
  internal_info: JsonObject;
  /** The bond's settings (e.g. miimon, xmit_hash_policy), handed to the instance as they are. */
  properties: JsonObject;
  standalone_ports_supported: boolean;
  /** The bonding mode, Linux's words: `active-backup`, `802.3ad`, `balance-rr`... */
  mode: string;
  /** The network the bond is on; its ports follow it (null: whatever its ports say). */
  physical_network: string | null;
  /** The operator's own classification of the group. */
  category: string | null;
  created_at: string;
  updated_at: string | null;
}

export type PortgroupChanges = Partial<Omit<Portgroup, 'id' | 'uuid' | 'created_at' | 'node_uuid'>>;

/** Ironic's `[DEFAULT]default_portgroup_mode`. */
export const DEFAULT_PORTGROUP_MODE = 'active-backup';
