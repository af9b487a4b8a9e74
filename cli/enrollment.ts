import type { ItemOutcome } from './batch.js';
import type { AnvilClient } from './http-client.js';
import type { InventoryNode } from './inventory.js';
import { nodePath, type NodeRecord } from './node-record.js';

interface PortRecord {
  uuid: string;
  address: string;
  node_uuid: string;
}

/**
 * Enrolls one inventory node, idempotently: the node is looked up by name
 * and created only when missing; each port is looked up by MAC and created
 * only when missing. A node or port that exists is reported, never changed.
 * A MAC already on another node fails this node (a cabling or inventory
 * mistake an operator must look at).
 */
export async function enrollNode(client: AnvilClient, entry: InventoryNode): Promise<ItemOutcome> {
  let node = await client.find<NodeRecord>(nodePath(entry.name));
  const created = node === null;
  node ??= await client.post<NodeRecord>('/v1/nodes', entry.body);
  let portsCreated = 0;
  let portsExisting = 0;
  for (const mac of entry.macs) {
    const { ports } = await client.get<{ ports: PortRecord[] }>(`/v1/ports/detail?address=${encodeURIComponent(mac)}`);
    const port = ports[0];
    if (port === undefined) {
      await client.post('/v1/ports', { node_uuid: node.uuid, address: mac });
      portsCreated++;
    } else if (port.node_uuid === node.uuid) {
      portsExisting++;
    } else {
      return {
        item: entry.name,
        status: 'failed',
        detail: `MAC ${mac} already belongs to node ${port.node_uuid} (${created ? 'node created' : 'node exists'})`,
        node,
      };
    }
  }
  const parts = [created ? 'created' : 'exists'];
  if (portsCreated > 0) parts.push(`${portsCreated} port(s) created`);
  if (portsExisting > 0) parts.push(`${portsExisting} port(s) exist`);
  return { item: entry.name, status: 'ok', detail: parts.join(', '), node };
}
