import type { Knex } from 'knex';
import { col, isPostgres } from '../db/index.js';
import { cursorColumn } from './cursor.js';
import type { NewChange } from './model.js';
import { viewKey } from './view-key.js';

/** The PostgreSQL channel a commit of changes is announced on; its payload is the newest cursor committed. */
export const CHANGES_CHANNEL = 'anvil_changes';

/**
 * Changes per insert statement, seven parameters each: both engines bound a
 * statement's parameters (SQLite at 32,766, PostgreSQL at 65,535). A
 * transaction that changes many objects (a fleet-wide update) inserts in
 * chunks: the ids still come in order, and the advisory lock, taken by the
 * first, still covers them all.
 */
const INSERT_CHUNK_ROWS = 200;

/** The advisory lock that orders feed writers on PostgreSQL (any constant all Anvil processes share). */
const FEED_WRITERS_LOCK = 0x616e76696c; // "anvil"

/**
 * Appends changes to the feed inside the transaction that makes them, so a
 * change is in the feed exactly when it is in the database.
 *
 * Commit order is the hard part. On PostgreSQL a sequence value taken
 * earlier can commit later: were transactions A and B to take ids 41 and 42
 * freely, B could commit first, a follower would read 42 and move its cursor
 * past 41, and then miss A. So every feed writer takes one transaction-scoped
 * advisory lock before it takes its ids, and holds it to its commit: ids are
 * handed out in the order transactions will commit, and a reader that sees
 * an id sees every smaller one that will ever exist (a rolled-back
 * transaction leaves a hole, never a late arrival). The lock is taken as the
 * transaction's last step, after its data writes, so it is held only for the
 * feed's insert and the commit, and never while waiting for a row lock
 * (which would deadlock with a writer that holds that row and waits for the
 * feed). SQLite needs none of this: one writer at a time is all it allows,
 * and the transaction holds the write lock since its first write.
 *
 * One recorder per database handle (`ChangeRecorder.of`), so every
 * repository on it, and the feed that serves it, share the wake-up this
 * process gives its followers when it commits.
 */
export class ChangeRecorder {
  private static readonly byDatabase = new WeakMap<Knex, ChangeRecorder>();

  static of(knex: Knex): ChangeRecorder {
    let recorder = ChangeRecorder.byDatabase.get(knex);
    if (recorder === undefined) {
      recorder = new ChangeRecorder(isPostgres(knex));
      ChangeRecorder.byDatabase.set(knex, recorder);
    }
    return recorder;
  }

  private readonly listeners = new Set<(cursor: number) => void>();

  private constructor(private readonly postgres: boolean) {}

  /**
   * Records `changes` in `trx`. Call it once per transaction, after the
   * transaction's last data write: its lock is held until the commit. An
   * update that leaves the object's view as the feed last showed it (but for
   * `updated_at`) is left out, by the insert itself: each chunk of changes
   * is one statement, which on PostgreSQL also takes the writers' lock and
   * announces the newest id.
   */
  async record(trx: Knex.Transaction, changes: readonly NewChange[]): Promise<void> {
    if (changes.length === 0) return;
    const now = new Date().toISOString();
    let newest = 0;
    let announced = false;
    for (let start = 0; start < changes.length; start += INSERT_CHUNK_ROWS) {
      const last = start + INSERT_CHUNK_ROWS >= changes.length;
      const ids = await this.insertNew(trx, changes.slice(start, start + INSERT_CHUNK_ROWS), now, last);
      for (const id of ids) newest = Math.max(newest, id);
      announced = last && ids.length > 0;
    }
    if (newest === 0) return;
    // A last chunk of repeats announced nothing: the earlier chunks' newest id still needs saying.
    if (this.postgres && !announced) await trx.raw('select pg_notify(?, ?)', [CHANGES_CHANNEL, String(newest)]);
    trx.executionPromise.then(
      () => {
        for (const listener of this.listeners) listener(newest);
      },
      // A rolled-back transaction recorded nothing; its caller sees the error.
      () => undefined,
    );
  }

  /** Runs `listener` with the newest cursor each time this process commits changes; answers how to stop. */
  onCommit(listener: (cursor: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Inserts `changes` in their order, but for an update whose view key is
   * that of its object's last change (a deletion aside), and answers the ids
   * taken. On PostgreSQL the same statement takes the writers' lock before
   * any id and, with `announce`, announces the newest id at commit to every
   * process listening (this one included), never for a rollback; pg_notify
   * runs per row, and PostgreSQL delivers a transaction's identical
   * notifications once.
   */
  private async insertNew(
    trx: Knex.Transaction,
    changes: readonly NewChange[],
    now: string,
    announce: boolean,
  ): Promise<number[]> {
    const values = changes.map(() => '(cast(? as integer), ?, ?, ?, ?, ?, ?)').join(', ');
    const bindings = changes.flatMap((change, ord) => [
      ord,
      change.kind,
      change.action,
      change.data.uuid,
      JSON.stringify(change.data),
      now,
      viewKey(change.data),
    ]);
    const candidates = `candidates (ord, kind, action, object_uuid, data, created_at, view_key) as (values ${values})`;
    const fresh = `(c.action <> 'updated' or not exists (
        select 1 from changes last
        where last.kind = c.kind and last.object_uuid = c.object_uuid and last.action <> 'deleted'
          and last.view_key = c.view_key
          and last.id = (select max(id) from changes newest where newest.kind = c.kind and newest.object_uuid = c.object_uuid)))`;
    const insert = `insert into changes (kind, action, object_uuid, data, created_at, view_key)
      select c.kind, c.action, c.object_uuid, c.data, c.created_at, c.view_key from candidates c`;
    const answer: unknown = this.postgres
      ? await trx.raw(
          `with locked as (select pg_advisory_xact_lock(?)), ${candidates},
           inserted as (${insert}, locked where ${fresh} order by c.ord returning id)
           select id${announce ? ', pg_notify(?, (select max(id) from inserted)::text)' : ''} from inserted`,
          [FEED_WRITERS_LOCK, ...bindings, ...(announce ? [CHANGES_CHANNEL] : [])],
        )
      : await trx.raw(`with ${candidates} ${insert} where ${fresh} order by c.ord returning id`, bindings);
    const rows: unknown = this.postgres ? (answer as { rows: unknown }).rows : answer;
    if (!Array.isArray(rows)) throw new col.RowDecodeError('changes: the insert answered no rows');
    return rows.map((row: unknown) => cursorColumn.decode(col.isRecord(row) ? row.id : undefined, 'changes.id'));
  }
}
