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
  created_at: string;
  updated_at: string | null;
}

export type PortChanges = Partial<Omit<Port, 'id' | 'uuid' | 'created_at' | 'node_uuid'>>;
