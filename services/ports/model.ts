import type { JsonObject } from '../nodes/index.js';

export interface Port {
  id: number;
  uuid: string;
  address: string;
  node_id: number;
  /** Joined from nodes: what the API shows. */
  node_uuid: string;
  name: string | null;
  extra: JsonObject;
  internal_info: JsonObject;
  local_link_connection: JsonObject;
  pxe_enabled: boolean;
  physical_network: string | null;
  is_smartnic: boolean;
  description: string | null;
  /** Who made the NIC, as the operator records it (Ironic shows it as given). */
  vendor: string | null;
  /** The operator's own classification of the port. */
  category: string | null;
  /** The port group (bond) the port is in, if any: always one of its own node's. */
  portgroup_id: number | null;
  /** Joined from portgroups: what the API shows. */
  portgroup_uuid: string | null;
  created_at: string;
  updated_at: string | null;
}

export type PortChanges = Partial<Omit<Port, 'id' | 'uuid' | 'created_at' | 'node_uuid' | 'portgroup_uuid'>>;
