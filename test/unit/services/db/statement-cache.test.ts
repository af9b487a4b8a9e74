import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../services/db/connection.js';
import { cacheStatements } from '../../../../services/db/statement-cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('cacheStatements', () => {
  it('hands out the same statement for the same text, keeping only the most recently used', () => {
    const db = new Database(':memory:');
    cacheStatements(db, 2);
    const a = db.prepare('select 1 as n');
    expect(db.prepare('select 1 as n')).toBe(a);
    const b = db.prepare('select 2 as n');
    db.prepare('select 1 as n');
    db.prepare('select 3 as n');
    // 2 was the least recently used: it went, 1 stayed.
    expect(db.prepare('select 1 as n')).toBe(a);
    expect(db.prepare('select 2 as n')).not.toBe(b);
    db.close();
  });

  it('runs a kept statement again with new bindings, and sees the schema as it is now', () => {
    const db = new Database(':memory:');
    cacheStatements(db, 10);
    db.prepare('create table t (id integer primary key, name text)').run();
    db.prepare('insert into t (name) values (?)').run('a');
    db.prepare('insert into t (name) values (?)').run('b');
    expect(db.prepare('select name from t where id = ?').all(2)).toEqual([{ name: 'b' }]);
    expect(db.prepare('select * from t where id = ?').all(1)).toEqual([{ id: 1, name: 'a' }]);
    db.prepare('alter table t add column size integer default 7').run();
    expect(db.prepare('select * from t where id = ?').all(1)).toEqual([{ id: 1, name: 'a', size: 7 }]);
    db.close();
  });

  it('serves knex on SQLite: queries, transactions and a failed statement', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'anvil-statements-'));
    dirs.push(dir);
    const db = openDatabase(`sqlite:${path.join(dir, 'a.db')}`);
    try {
      await db.knex.schema.createTable('t', (table) => {
        table.increments('id');
        table.text('name').unique();
      });
      for (const name of ['a', 'b', 'c']) await db.knex('t').insert({ name });
      await expect(db.knex('t').insert({ name: 'a' })).rejects.toThrow(/UNIQUE/);
      await expect(
        db.knex.transaction(async (trx) => {
          await trx('t').insert({ name: 'd' });
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await db.knex.transaction(async (trx) => {
        await trx('t').where({ name: 'c' }).update({ name: 'e' });
      });
      expect(await db.knex('t').orderBy('id').pluck('name')).toEqual(['a', 'b', 'e']);
      expect(await db.knex('t').where({ id: 2 }).first()).toEqual({ id: 2, name: 'b' });
    } finally {
      await db.close();
    }
  });
});
