import type { Knex } from 'knex';
import { col, rowCodec } from '../db/index.js';
import { cursorColumn } from './cursor.js';
import { CHANGE_ACTIONS, CHANGE_KINDS, type Change, type ChangeData } from './model.js';

const CHANGES = rowCodec<Change>('changes', {
  cursor: cursorColumn,
  kind: col.oneOf(CHANGE_KINDS),
  action: col.oneOf(CHANGE_ACTIONS),
  data: col.json('an object with a uuid', (v): v is ChangeData => col.isRecord(v) && typeof v.uuid === 'string'),
  created_at: col.timestamp,
});

/** The changes table, read: thin queries, the feed decides. */
export class ChangeStore {
  constructor(private readonly knex: Knex) {}

  /** Up to `limit` changes after `cursor`, oldest first. */
  async after(cursor: number, limit: number): Promise<Change[]> {
    return CHANGES.fromRows(
      await this.knex('changes')
        .select('id as cursor', 'kind', 'action', 'data', 'created_at')
        .where('id', '>', cursor)
        .orderBy('id')
        .limit(limit),
    );
  }

  /** The highest cursor retention removed: every record at or below it is gone. */
  async prunedThrough(): Promise<number> {
    const row: unknown = await this.knex('changes_pruned').first('through');
    return col.isRecord(row) ? cursorColumn.decode(row.through, 'changes_pruned.through') : 0;
  }

  /** The newest cursor the feed has handed out or pruned; 0 for a feed that never held a record. */
  async newest(): Promise<number> {
    const row: unknown = await this.knex('changes').max({ id: 'id' }).first();
    const id = col.isRecord(row) && row.id !== null ? cursorColumn.decode(row.id, 'changes.id') : 0;
    return Math.max(id, await this.prunedThrough());
  }
}
