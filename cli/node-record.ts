/** The node fields the CLI reads, as Anvil serializes them (Ironic's node object). */
export interface NodeRecord {
  uuid: string;
  name: string | null;
  driver: string;
  provision_state: string;
  target_provision_state: string | null;
  power_state: string | null;
  target_power_state: string | null;
  maintenance: boolean;
  maintenance_reason: string | null;
  fault: string | null;
  last_error: string | null;
  reservation: string | null;
  extra: Record<string, unknown>;
  [field: string]: unknown;
}

/** What a person calls the node: its name, else its uuid. */
export function nodeLabel(node: Pick<NodeRecord, 'name' | 'uuid'>): string {
  return node.name ?? node.uuid;
}

export function nodePath(ident: string): string {
  return `/v1/nodes/${encodeURIComponent(ident)}`;
}
