import pg from 'pg';
import type { Logger } from '../logger.js';
import { CHANGES_CHANNEL } from './recorder.js';

/** First wait before reconnecting, doubled after each failure up to the longest. */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_LONGEST_MS = 5000;

/** How the LISTEN connection shows up in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'anvil-change-listener';

/**
 * A connection that only listens sends nothing, so a peer gone without a
 * word (a failover, a dropped NAT entry, a host that died) is never noticed
 * by reading it: it is asked a question every so often, and one unanswered
 * in time counts as lost. TCP keepalive backs it up below.
 */
const LIVENESS_CHECK = { intervalMs: 30_000, timeoutMs: 10_000 };
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

export interface ChangeListenerOptions {
  url: string;
  /** A commit of changes was announced, with its newest cursor. */
  onChange(cursor: number): void;
  /** Listening (again): announcements made while it was not are lost, so the caller looks for itself. */
  onConnected(): void;
  /** No longer listening, until it reconnects. */
  onLost(): void;
  log: Logger;
  liveness?: { intervalMs: number; timeoutMs: number };
}

/**
 * `LISTEN anvil_changes` on a PostgreSQL connection of its own (a pooled
 * connection cannot hold a LISTEN), so a commit in any Anvil process wakes
 * the followers of this one. A lost connection is reopened with backoff.
 */
export class ChangeListener {
  private client: pg.Client | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private retryMs = RECONNECT_FIRST_MS;
  private closed = false;
  private listening = false;

  constructor(private readonly options: ChangeListenerOptions) {}

  get connected(): boolean {
    return this.listening;
  }

  start(): void {
    void this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.stopChecking();
    const client = this.client;
    this.client = null;
    this.listening = false;
    if (client !== null) await retire(client, this.liveness.timeoutMs);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
      connectionTimeoutMillis: this.liveness.timeoutMs,
    });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel !== CHANGES_CHANNEL || message.payload === undefined) return;
      const cursor = Number(message.payload);
      if (Number.isSafeInteger(cursor)) this.options.onChange(cursor);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return;
    this.listening = true;
    this.retryMs = RECONNECT_FIRST_MS;
    this.scheduleCheck(client);
    this.options.onConnected();
  }

  private get liveness(): { intervalMs: number; timeoutMs: number } {
    return this.options.liveness ?? LIVENESS_CHECK;
  }

  private scheduleCheck(client: pg.Client): void {
    this.checkTimer = setTimeout(() => void this.check(client), this.liveness.intervalMs);
  }

  /** Asks the connection a question; no answer in time, or an error, is a lost connection. */
  private async check(client: pg.Client): Promise<void> {
    this.checkTimer = null;
    const { timeoutMs } = this.liveness;
    const late = setTimeout(
      () =>
        this.lost(client, new Error(`the LISTEN connection did not answer a liveness check within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await client.query('select 1');
    } catch (err) {
      this.lost(client, err);
      return;
    } finally {
      clearTimeout(late);
    }
    if (client === this.client) this.scheduleCheck(client);
  }

  private stopChecking(): void {
    if (this.checkTimer !== null) clearTimeout(this.checkTimer);
    this.checkTimer = null;
  }

  private lost(client: pg.Client, err: unknown): void {
    // A client already replaced or closed reports its end too; only the current one counts.
    if (client !== this.client) return;
    this.client = null;
    this.stopChecking();
    const wasListening = this.listening;
    this.listening = false;
    void retire(client, this.liveness.timeoutMs);
    if (this.closed) return;
    if (wasListening) this.options.onLost();
    this.options.log.warn(
      { err, retryMs: this.retryMs },
      'change feed: the LISTEN connection to PostgreSQL is lost; followers poll until it is back',
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_LONGEST_MS);
  }
}

/**
 * Ends a client whatever state it is in; its late errors have nowhere to go.
 * A peer that stopped answering would never acknowledge a polite end, so
 * the end is not waited for past the liveness timeout.
 */
async function retire(client: pg.Client, timeoutMs: number): Promise<void> {
  client.removeAllListeners();
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
}
