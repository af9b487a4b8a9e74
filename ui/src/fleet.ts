import { signal } from '@preact/signals';
import type { ApiClient } from './api.js';
import { FeedFollower, type Change } from './feed.js';

/** What the dashboard shows of a node: Ironic's fields, as `GET /v1/nodes?fields=` reads them. */
export interface NodeRow {
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
  instance_uuid: string | null;
  resource_class: string | null;
  extra: Record<string, unknown>;
  traits: string[];
  conductor: string | null;
  provision_updated_at: string | null;
  created_at: string;
  updated_at: string | null;
}

export const NODE_FIELDS = [
  'uuid',
  'name',
  'driver',
  'provision_state',
  'target_provision_state',
  'power_state',
  'target_power_state',
  'maintenance',
  'maintenance_reason',
  'fault',
  'last_error',
  'instance_uuid',
  'resource_class',
  'extra',
  'traits',
  'conductor',
  'provision_updated_at',
  'created_at',
  'updated_at',
] as const;

const NODE_LIST = `/v1/nodes?limit=1000&fields=${NODE_FIELDS.join(',')}`;

/**
 * Every node, kept current by the change feed. The list is read once (in
 * pages of 1,000), from a cursor taken before the read: the feed then
 * replays what changed during the read, so nothing is missed. Changes are
 * applied a frame at a time, however many arrive.
 */
export class Fleet {
  readonly nodes = signal<ReadonlyMap<string, NodeRow>>(new Map());
  /** The first page is in: the pages can draw. */
  readonly loaded = signal(false);
  /** Every page is in: counts are whole. */
  readonly complete = signal(false);
  readonly error = signal<string | null>(null);
  /** Bumped by every machine or IPAM change, for the pages that show those. */
  readonly machinesVersion = signal(0);
  readonly poolsVersion = signal(0);
  readonly feed: FeedFollower;
  private pending: Change[] = [];
  private frame: number | null = null;

  constructor(private readonly client: ApiClient) {
    this.feed = new FeedFollower(
      client,
      (changes) => this.queue(changes),
      () => this.reload(),
    );
  }

  async start(): Promise<void> {
    try {
      const cursor = await this.reload();
      this.feed.startFrom(cursor);
    } catch (err) {
      this.error.value = err instanceof Error ? err.message : String(err);
    }
  }

  close(): void {
    this.feed.close();
    if (this.frame !== null) cancelAnimationFrame(this.frame);
  }

  /** Reads every node afresh; answers the feed cursor to follow from. */
  async reload(): Promise<string> {
    const head = await this.client.get<{ cursor: string }>('/v1/anvil/events?since=now&limit=1');
    this.complete.value = false;
    // The first thousand hosts show while the rest are read; the rest are drawn once, when all are in
    // (drawing each page would filter and sort a growing list ten times for 10,000 hosts).
    const rows = new Map<string, NodeRow>();
    await this.client.all<NodeRow>(NODE_LIST, 'nodes', undefined, (page) => {
      for (const row of page) rows.set(row.uuid, row);
      if (!this.loaded.value) this.nodes.value = new Map(rows);
      this.loaded.value = true;
    });
    this.nodes.value = rows;
    this.loaded.value = true;
    this.complete.value = true;
    this.error.value = null;
    this.machinesVersion.value++;
    this.poolsVersion.value++;
    return head.cursor;
  }

  private queue(changes: Change[]): void {
    this.pending.push(...changes);
    this.frame ??= requestAnimationFrame(() => {
      this.frame = null;
      this.apply(this.pending.splice(0));
    });
  }

  private apply(changes: Change[]): void {
    const next = new Map(this.nodes.value);
    let nodesChanged = false;
    for (const change of changes) {
      if (change.kind === 'machine') this.machinesVersion.value++;
      if (change.kind === 'ipam_claim') this.poolsVersion.value++;
      if (change.kind !== 'node') continue;
      nodesChanged = true;
      if (change.action === 'deleted') {
        next.delete(change.uuid);
        continue;
      }
      const known = next.get(change.uuid);
      const view = change.data as Partial<NodeRow>;
      if (known === undefined) {
        void this.fetchNode(change.uuid);
        continue;
      }
      const moved = view.provision_state !== undefined && view.provision_state !== known.provision_state;
      next.set(change.uuid, {
        ...known,
        ...view,
        provision_updated_at: moved ? change.created_at : known.provision_updated_at,
      });
    }
    if (nodesChanged) this.nodes.value = next;
  }

  /** A node the feed announced before the list knew it: its driver and the rest come from the API. */
  private async fetchNode(uuid: string): Promise<void> {
    try {
      const row = await this.client.get<NodeRow>(`/v1/nodes/${uuid}?fields=${NODE_FIELDS.join(',')}`);
      this.nodes.value = new Map(this.nodes.value).set(uuid, row);
    } catch {
      // Deleted again before it was read: the feed's delete follows.
    }
  }
}
