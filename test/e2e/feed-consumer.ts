// A controller's view of Anvil built from the change feed alone, as a
// Cluster API provider would keep one: it long-polls `/v1/anvil/events`
// from the oldest record kept, follows `next` while pages are full and the
// page's cursor otherwise, and applies every machine and node record
// (created, updated, deleted) to what it has rebuilt. It never lists: what
// it knows, the feed told it.

/** One record as `/v1/anvil/events` answers it. */
export interface FeedEvent {
  cursor: string;
  kind: string;
  action: 'created' | 'updated' | 'deleted';
  uuid: string;
  data: { uuid: string } & Record<string, unknown>;
  created_at: string;
}

interface FeedPage {
  events: FeedEvent[];
  cursor: string;
  next?: string;
}

export type FeedObject = FeedEvent['data'];

export interface FeedConsumerOptions {
  /** Records per page: small, so that a busy feed is read through its `next` links. */
  limit: number;
  /** Seconds each long poll may wait for a change. */
  waitSeconds: number;
}

interface Waiter {
  cursor: number;
  resolve(): void;
  reject(err: Error): void;
}

export class FeedConsumer {
  /** Machines by uuid, as the feed last showed them. */
  readonly machines = new Map<string, FeedObject>();
  /** Nodes by uuid, as the feed last showed them. */
  readonly nodes = new Map<string, FeedObject>();
  /** Every record's cursor, in the order the feed handed them out. */
  readonly cursors: string[] = [];
  /** How many records of each `kind.action` were read. */
  readonly counts = new Map<string, number>();
  /**
   * Records that contradict what was rebuilt before them: an update or a
   * delete of an object never created, a second create. Each one means a
   * record was lost, repeated or misordered.
   */
  readonly contradictions: string[] = [];
  /** The cursor to read after: the last page's. */
  private position: string | null = null;
  private failure: Error | null = null;
  private waiters: Waiter[] = [];
  private readonly stopping = new AbortController();
  private readonly running: Promise<void>;

  private constructor(
    private readonly baseUrl: string,
    private readonly options: FeedConsumerOptions,
  ) {
    this.running = this.follow().catch((err: unknown) => {
      if (this.stopping.signal.aborted) return;
      this.failure = err instanceof Error ? err : new Error(String(err));
      for (const w of this.waiters.splice(0)) w.reject(this.failure);
    });
  }

  /** Starts following `baseUrl`'s feed from the oldest record it keeps. */
  static start(baseUrl: string, options: FeedConsumerOptions): FeedConsumer {
    return new FeedConsumer(baseUrl, options);
  }

  /** Resolves once the consumer has read every record up to `cursor` (a cursor the feed handed out). */
  async caughtUp(cursor: string, ms: number): Promise<void> {
    if (this.failure) throw this.failure;
    const target = Number(cursor);
    if (this.position !== null && Number(this.position) >= target) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = { cursor: target, resolve, reject };
        this.waiters.push(waiter);
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`the feed consumer did not reach cursor ${cursor} within ${ms} ms (at ${this.position})`));
        }, ms);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the long poll in flight; throws what stopped the consumer before, if anything did. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    if (this.failure) throw this.failure;
  }

  private async follow(): Promise<void> {
    const { limit, waitSeconds } = this.options;
    let url = `${this.baseUrl}/v1/anvil/events?${new URLSearchParams({ limit: String(limit), wait: String(waitSeconds) }).toString()}`;
    while (!this.stopping.signal.aborted) {
      const res = await fetch(url, { signal: this.stopping.signal });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text}`);
      const page = JSON.parse(text) as FeedPage;
      for (const event of page.events) this.apply(event);
      const last = page.events.at(-1);
      if (last !== undefined && last.cursor !== page.cursor) {
        this.contradictions.push(`a page ending at cursor ${last.cursor} said to go on from ${page.cursor}`);
      }
      this.position = page.cursor;
      const reached = this.waiters.filter((w) => w.cursor <= Number(page.cursor));
      this.waiters = this.waiters.filter((w) => w.cursor > Number(page.cursor));
      for (const w of reached) w.resolve();
      // A full page has a `next` link (no wait: more is there already); otherwise wait from the page's cursor.
      url =
        page.next ??
        `${this.baseUrl}/v1/anvil/events?${new URLSearchParams({ since: page.cursor, limit: String(limit), wait: String(waitSeconds) }).toString()}`;
    }
  }

  private apply(event: FeedEvent): void {
    this.cursors.push(event.cursor);
    const key = `${event.kind}.${event.action}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const objects = event.kind === 'machine' ? this.machines : event.kind === 'node' ? this.nodes : null;
    if (objects === null) return;
    const what = `${event.kind} ${event.uuid} ${event.action} at cursor ${event.cursor}`;
    if (event.data.uuid !== event.uuid) this.contradictions.push(`${what} carries the data of ${event.data.uuid}`);
    const known = objects.has(event.uuid);
    if (event.action === 'created' && known) this.contradictions.push(`${what}: already created`);
    if (event.action !== 'created' && !known) this.contradictions.push(`${what}: never created`);
    if (event.action === 'deleted') objects.delete(event.uuid);
    else objects.set(event.uuid, event.data);
  }
}
