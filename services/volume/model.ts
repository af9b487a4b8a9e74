import type { JsonObject } from '../nodes/index.js';

/** What connectors and targets share: each belongs to one node. */
export interface VolumeItem {
  id: number;
  uuid: string;
  node_id: number;
  /** Joined from nodes: what the API shows. */
  node_uuid: string;
  extra: JsonObject;
  created_at: string;
  updated_at: string | null;
}

/** The kinds of volume connector ironicclient offers (`volume connector create --type`). */
export const CONNECTOR_TYPES = ['iqn', 'ip', 'mac', 'wwnn', 'wwpn', 'port', 'portgroup'] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];

/** How a node reaches its volumes: an initiator's IQN, IP, MAC or Fibre Channel name. */
export interface VolumeConnector extends VolumeItem {
  type: ConnectorType;
  connector_id: string;
}

/** A volume a node boots from or attaches; boot index 0 is the boot volume. */
export interface VolumeTarget extends VolumeItem {
  volume_type: string;
  properties: JsonObject;
  boot_index: number;
  volume_id: string;
}

/** The fields of an item its creator gives (uuid optional), the node by uuid or name. */
export type VolumeItemCreate<T extends VolumeItem> = Omit<
  T,
  'id' | 'uuid' | 'node_id' | 'node_uuid' | 'created_at' | 'updated_at'
> & { uuid?: string; node_uuid: string };

/** What a PATCH may change: the item's own fields, and the node it belongs to. */
export type VolumeItemUpdate<T extends VolumeItem> = Partial<
  Omit<T, 'id' | 'uuid' | 'node_id' | 'created_at' | 'updated_at'>
>;

/** What a repository writes: stored columns only. */
export type VolumeItemChanges<T extends VolumeItem> = Partial<Omit<T, 'id' | 'uuid' | 'node_uuid' | 'created_at'>>;
