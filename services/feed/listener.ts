import pg from 'pg';
import type { Logger } from '../logger.js';
import { CHANGES_CHANNEL } from './recorder.js';

/** First wait before reconnecting, doubled after each failure up to the longest. */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_LONGEST_MS = 5000;

export interface ChangeListenerOptions {
  url: string;
  /** A commit of changes was announced, with its newest cursor. */
  onChange(cursor: number): void;
  /** Listening (again): announcements made while it was not are lost, so the caller looks for itself. */
  onConnected(): void;
  /** No longer listening, until it reconnects. */
  onLost(): void;
  log: Logger;
}

/**
 * `LISTEN anvil_changes` on a PostgreSQL connection of its own (a pooled
 * connection cannot hold a LISTEN), so a commit in any Anvil process wakes
 * the followers of this one. A lost connection is reopened with backoff.
 */
export class ChangeListener {
  private client: pg.Client | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
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
    const client = this.client;
    this.client = null;
    this.listening = false;
    if (client !== null) await retire(client);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url });
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
    this.options.onConnected();
  }

  private lost(client: pg.Client, err: unknown): void {
    // A client already replaced or closed reports its end too; only the current one counts.
    if (client !== this.client) return;
    this.client = null;
    const wasListening = this.listening;
    this.listening = false;
    void retire(client);
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

/** Ends a client whatever state it is in; its late errors have nowhere to go. */
async function retire(client: pg.Client): Promise<void> {
  client.removeAllListeners();
  client.on('error', () => undefined);
  await client.end().catch(() => undefined);
}
