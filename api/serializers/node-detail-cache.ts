import { LRUCache } from 'lru-cache';
import type { Node, NodeStamp } from '../../services/nodes/index.js';
import { serializeNode, type NodeViewContext } from './node.js';

interface Entry {
  /** The row stamp and the owning conductor the JSON was built from. */
  version: string;
  json: string;
}

/** Enough for two clients of different versions over a fleet of 10,000. */
const DEFAULT_CAPACITY = 20_000;

/**
 * Each node's detail as JSON text, as last built, under the stamp the
 * database gave its row (migration 021) and what else the answer depends
 * on: the version, the base URL of the links, the owning conductor. A detail
 * list builds only the nodes whose stamp moved; most of a fleet has not
 * changed between two polls. Bounded: the least recently used go first.
 */
export class NodeDetailCache {
  private readonly entries: LRUCache<string, Entry>;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.entries = new LRUCache({ max: capacity });
  }

  /**
   * The detail JSON of each node of the page, in its order. Nodes whose
   * stamp moved are loaded with `load` and built; one deleted since the
   * page was read is left out.
   */
  async details(
    page: readonly NodeStamp[],
    view: NodeViewContext,
    load: (ids: number[]) => Promise<Node[]>,
  ): Promise<string[]> {
    const prefix = `${view.minor} ${view.base} `;
    const versions = page.map((n) => `${n.stamp} ${view.conductorOf(n.uuid, n.conductor_group) ?? ''}`);
    const json: (string | undefined)[] = page.map((n, i) => {
      const entry = this.entries.get(prefix + n.uuid);
      return entry !== undefined && entry.version === versions[i] ? entry.json : undefined;
    });
    const stale = page.filter((_, i) => json[i] === undefined);
    if (stale.length > 0) {
      const loaded = new Map((await load(stale.map((n) => n.id))).map((node) => [node.id, node]));
      page.forEach((n, i) => {
        const node = loaded.get(n.id);
        if (json[i] !== undefined || node === undefined) return;
        // A node written since its stamp was read is shown as loaded; kept under the older stamp, it is
        // never served again, since a stamp never comes back.
        json[i] = JSON.stringify(serializeNode(node, view));
        this.entries.set(prefix + n.uuid, { version: versions[i]!, json: json[i] });
      });
    }
    return json.filter((text) => text !== undefined);
  }
}
