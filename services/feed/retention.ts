import type { Knex } from 'knex';
import { col } from '../db/index.js';
import { cursorColumn } from './cursor.js';

export interface Retention {
  /** Records older than this are pruned. */
  maxAgeHours: number;
  /** Beyond this many records, the oldest are pruned. */
  maxRecords: number;
}

/**
 * Prunes what retention no longer keeps: a prefix of the feed, by cursor,
 * so "pruned through N" stays a single number a reader checks its cursor
 * against. The prefix ends at the newest record that is too old, or the
 * newest beyond the count kept. The watermark moves in the same transaction
 * as the delete; concurrent pruners (none are expected, see the conductor's
 * pass) agree, as both only ever move it up. Answers how many records went.
 */
export async function pruneChanges(knex: Knex, retention: Retention, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - retention.maxAgeHours * 3_600_000).toISOString();
  const tooOld = cursorOf(await knex('changes').where('created_at', '<', cutoff).max({ id: 'id' }).first());
  const beyondCount = cursorOf(
    await knex('changes').select('id').orderBy('id', 'desc').offset(retention.maxRecords).limit(1).first(),
  );
  const through = Math.max(tooOld, beyondCount);
  if (through === 0) return 0;
  return knex.transaction(async (trx) => {
    // The delete first: on SQLite the transaction takes the write lock before it reads anything.
    const removed = await trx('changes').where('id', '<=', through).delete();
    await trx('changes_pruned').where('through', '<', through).update({ through });
    return removed;
  });
}

function cursorOf(row: unknown): number {
  return col.isRecord(row) && row.id !== null && row.id !== undefined ? cursorColumn.decode(row.id, 'changes.id') : 0;
}
