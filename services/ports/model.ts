import type { JsonObject } from '../nodes/model.js';

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

export const PORT_JSON_FIELDS = ['extra', 'internal_info', 'local_link_connection'] as const;
export const PORT_BOOLEAN_FIELDS = ['pxe_enabled', 'is_smartnic'] as const;

export type PortChanges = Partial<Omit<Port, 'id' | 'uuid' | 'created_at' | 'node_uuid'>>;
