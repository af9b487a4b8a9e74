import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import type { Logger } from '../logger.js';
import { CursorExpired } from './errors.js';
import { linkSignals, type LinkedSignal } from './linked-signal.js';
import { ChangeListener } from './listener.js';
import type { ChangePage, FeedFollow, PollAnswer, Since } from './model.js';
import { ChangeRecorder } from './recorder.js';
import { ChangeStore } from './store.js';
import { Wakeups } from './wakeups.js';

export interface ChangeFeedOptions {
  knex: Knex;
  /** PostgreSQL: where the LISTEN connection goes. Null on SQLite, which has no notifications. */
  listenUrl: string | null;
  /** How often waiting followers look for commits of other processes when no notification can tell them. */
  pollIntervalMs: number;
  /** How often the LISTEN connection is checked, and how long it has to answer (LIVENESS_CHECK by default). */
  listenerLiveness?: { intervalMs: number; timeoutMs: number };
  log: Logger;
}

/**
 * The change feed as consumers read it: pages after a cursor, a long poll
 * that returns as soon as a change commits, and an endless follow for
 * streams. Followers wake on this process's own commits at once, on other
 * processes' through PostgreSQL's NOTIFY, and, on SQLite or while the LISTEN
 * connection is down, by polling the newest cursor while anyone waits.
 */
export class ChangeFeed {
  private readonly store: ChangeStore;
  private readonly wakeups = new Wakeups();
  private readonly closing = new AbortController();
  private readonly listener: ChangeListener | null;
  private readonly stopLocal: () => void;
  private polling = false;

  constructor(private readonly options: ChangeFeedOptions) {
    this.store = new ChangeStore(options.knex);
    this.stopLocal = ChangeRecorder.of(options.knex).onCommit((cursor) => this.wakeups.committed(cursor));
    this.listener =
      options.listenUrl === null
        ? null
        : new ChangeListener({
            url: options.listenUrl,
            onChange: (cursor) => this.wakeups.committed(cursor),
            onConnected: () => void this.catchUp(),
            onLost: () => this.pollWhileWaiting(),
            log: options.log,
            liveness: options.listenerLiveness,
          });
    this.listener?.start();
  }

  /** The cursor a reader starting at `since` reads after; a cursor the feed cannot serve is CursorExpired. */
  async start(since: Since): Promise<number> {
    if (since === 'now') return this.store.newest();
    if (since === 'oldest') return this.store.prunedThrough();
    await this.check(since, false);
    return since;
  }

  /** Up to `limit` changes after `cursor`, oldest first, and the cursor to read after next. */
  async read(cursor: number, limit: number): Promise<ChangePage> {
    const changes = await this.store.after(cursor, limit);
    // After the read: a prune that removed rows this read missed shows in the watermark read later.
    await this.check(cursor, changes.length > 0);
    return { changes, cursor: changes.at(-1)?.cursor ?? cursor };
  }

  /**
   * The changes after `since`; when there are none yet, waits up to `waitMs`
   * for one to commit and answers as soon as it does (an empty page when none
   * came, `signal` aborted, or the feed closed).
   */
  async poll(since: Since, limit: number, waitMs: number, signal: AbortSignal): Promise<PollAnswer> {
    const stop = this.untilClosed(signal);
    try {
      const page = await this.pollUntil(since, limit, waitMs, stop.signal);
      return { ...page, feedClosed: this.closing.signal.aborted };
    } finally {
      stop.release();
    }
  }

  /**
   * The feed after `cursor` for as long as `signal` lets it run: each page
   * of changes as they commit, and an empty page after `idleMs` without any
   * (a stream's heartbeat). Ends when `signal` aborts or the feed closes;
   * its `stopped` signal says so to a follower busy elsewhere (writing to a
   * client that does not read).
   */
  follow(cursor: number, limit: number, idleMs: number, signal: AbortSignal): FeedFollow {
    const stop = this.untilClosed(signal);
    return Object.assign(this.pages(cursor, limit, idleMs, stop), { stopped: stop.signal });
  }

  /** Ends every wait and stream (they answer what they have), and stops listening. */
  async close(): Promise<void> {
    this.closing.abort();
    this.stopLocal();
    await this.listener?.close();
  }

  private async pollUntil(since: Since, limit: number, waitMs: number, stop: AbortSignal): Promise<ChangePage> {
    const deadline = Date.now() + waitMs;
    let cursor = await this.start(since);
    for (;;) {
      const seen = this.wakeups.newestKnown;
      let page: ChangePage;
      try {
        page = await this.read(cursor, limit);
      } catch (err) {
        // "From the oldest" is never too old: a prune since the start only moves the oldest on.
        if (since === 'oldest' && err instanceof CursorExpired) {
          cursor = await this.start('oldest');
          continue;
        }
        throw err;
      }
      const left = deadline - Date.now();
      if (page.changes.length > 0 || left <= 0 || stop.aborted) return page;
      await this.waitPast(Math.max(cursor, seen), left, stop);
    }
  }

  private async *pages(cursor: number, limit: number, idleMs: number, stop: LinkedSignal): AsyncGenerator<ChangePage> {
    // A function, not the flag itself: the compiler cannot see the signal abort during an await.
    const stopped = () => stop.signal.aborted;
    try {
      while (!stopped()) {
        const seen = this.wakeups.newestKnown;
        const page = await this.read(cursor, limit);
        if (page.changes.length > 0) {
          cursor = page.cursor;
          yield page;
        } else if (!(await this.waitPast(Math.max(cursor, seen), idleMs, stop.signal)) && !stopped()) {
          yield page;
        }
      }
    } finally {
      stop.release();
    }
  }

  /**
   * A signal that aborts with `signal` or when the feed closes. Released
   * when the wait or follow it serves ends; until then (or until either
   * source aborts) each source holds one listener for it.
   */
  private untilClosed(signal: AbortSignal): LinkedSignal {
    return linkSignals([signal, this.closing.signal]);
  }

  private async check(cursor: number, found: boolean): Promise<void> {
    const prunedThrough = await this.store.prunedThrough();
    if (cursor < prunedThrough) throw new CursorExpired(cursor, { prunedThrough });
    if (found) return;
    const newest = await this.store.newest();
    if (cursor > newest) throw new CursorExpired(cursor, { newest });
  }

  private waitPast(after: number, ms: number, signal: AbortSignal): Promise<boolean> {
    const woken = this.wakeups.waitPast(after, ms, signal);
    this.pollWhileWaiting();
    return woken;
  }

  /** While followers wait and no notification can reach them, looks for the newest cursor every poll interval. */
  private pollWhileWaiting(): void {
    if (this.polling) return;
    this.polling = true;
    const needed = () =>
      this.wakeups.waiting > 0 && !this.closing.signal.aborted && !(this.listener?.connected ?? false);
    void (async () => {
      try {
        while (needed()) {
          await sleep(this.options.pollIntervalMs, undefined, { signal: this.closing.signal }).catch(() => undefined);
          if (needed()) await this.catchUp();
        }
      } finally {
        this.polling = false;
      }
    })();
  }

  private async catchUp(): Promise<void> {
    try {
      this.wakeups.committed(await this.store.newest());
    } catch (err) {
      if (!this.closing.signal.aborted) this.options.log.warn({ err }, 'change feed: reading the newest cursor failed');
    }
  }
}
