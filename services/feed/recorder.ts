import type { Knex } from 'knex';
import { col, isPostgres } from '../db/index.js';
import { cursorColumn } from './cursor.js';
import type { ChangeData, NewChange } from './model.js';
import { isSameView } from './same-view.js';

/** The PostgreSQL channel a commit of changes is announced on; its payload is the newest cursor committed. */
export const CHANGES_CHANNEL = 'anvil_changes';

/**
 * Rows per insert statement. knex writes a multi-row insert on SQLite as one
 * compound SELECT, which SQLite caps at 500 terms; PostgreSQL caps a
 * statement's parameters at 65,535. A transaction that changes many objects
 * (a fleet-wide update) inserts in chunks: the ids still come in order, and
 * the advisory lock still covers them all.
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
   * `updated_at`) is left out.
   */
  async record(trx: Knex.Transaction, changes: readonly NewChange[]): Promise<void> {
    if (changes.length === 0) return;
    // On PostgreSQL the lock goes with the first change's look-back, and the announcement with the
    // last insert: a step's feed write is two round trips, not four.
    let locked = !this.postgres;
    const now = new Date().toISOString();
    const rows: Record<string, string>[] = [];
    for (const change of changes) {
      const lock = !locked;
      locked = true;
      if (change.action === 'updated') {
        if (await this.repeats(trx, change, lock)) continue;
      } else if (lock) {
        await trx.raw('select pg_advisory_xact_lock(?)', [FEED_WRITERS_LOCK]);
      }
      rows.push({
        kind: change.kind,
        action: change.action,
        object_uuid: change.data.uuid,
        data: JSON.stringify(change.data),
        created_at: now,
      });
    }
    if (rows.length === 0) return;
    let newest = 0;
    for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
      const insert = trx('changes')
        .insert(rows.slice(start, start + INSERT_CHUNK_ROWS))
        .returning('id');
      const last = start + INSERT_CHUNK_ROWS >= rows.length;
      for (const id of last && this.postgres ? await this.insertAndAnnounce(trx, insert) : insertedIds(await insert))
        newest = Math.max(newest, id);
    }
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

  /** Whether the object's last record already shows `change`; `lock`: take the writers' lock in the same statement. */
  private async repeats(trx: Knex.Transaction, change: NewChange, lock: boolean): Promise<boolean> {
    const lastChange = trx('changes')
      .select('action', 'data')
      .where({ kind: change.kind, object_uuid: change.data.uuid })
      .orderBy('id', 'desc')
      .limit(1);
    let last: unknown;
    if (lock) {
      const query = lastChange.toSQL();
      const answer: unknown = await trx.raw(
        `select pg_advisory_xact_lock(?) as locked, last.action, last.data from (select 1) as one left join (${query.sql}) as last on true`,
        [FEED_WRITERS_LOCK, ...query.bindings],
      );
      last = (answer as { rows: unknown[] }).rows[0];
    } else {
      const rows: unknown[] = await lastChange;
      last = rows[0];
    }
    if (typeof last !== 'object' || last === null) return false;
    const { action, data } = last as { action: unknown; data: unknown };
    if (action === 'deleted' || typeof data !== 'string') return false;
    return isSameView(JSON.parse(data) as ChangeData, change.data);
  }

  /**
   * PostgreSQL: the insert, and the announcement of its newest id, in one
   * statement. Delivered at commit, to every process listening (this one
   * included), never for a rollback.
   */
  private async insertAndAnnounce(trx: Knex.Transaction, insert: Knex.QueryBuilder): Promise<number[]> {
    const query = insert.toSQL();
    const answer: unknown = await trx.raw(
      // pg_notify runs per row; PostgreSQL delivers a transaction's identical notifications once.
      `with inserted as (${query.sql}) select id, pg_notify(?, (select max(id) from inserted)::text) from inserted`,
      [...query.bindings, CHANGES_CHANNEL],
    );
    return insertedIds((answer as { rows: unknown[] }).rows);
  }
}

/** The ids an insert answered. */
function insertedIds(inserted: unknown): number[] {
  if (!Array.isArray(inserted) || inserted.length === 0)
    throw new col.RowDecodeError('changes: the insert answered no ids');
  return inserted.map((row: unknown) => cursorColumn.decode(col.isRecord(row) ? row.id : row, 'changes.id'));
}
