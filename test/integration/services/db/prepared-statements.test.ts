// PostgreSQL connections name their statements: each is prepared once per
// connection, at most a set number stay prepared, and a schema changed by
// another process under a prepared `select *` costs one retryable error.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { databaseUnavailable, migrateToLatest, openDatabase } from '../../../../services/db/index.js';
import { prepareStatements, type PgConnection } from '../../../../services/db/prepared-statements.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../../support/engines.js';

const postgresUp = await postgresAvailable();

describe.skipIf(!postgresUp)('prepared statements [postgres]', () => {
  let tdb: TestDatabase;
  const clients: pg.Client[] = [];

  async function client(capacity?: number): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: tdb.url });
    await c.connect();
    if (capacity !== undefined) prepareStatements(c as unknown as PgConnection, capacity);
    clients.push(c);
    return c;
  }

  /** Runs `text` as knex does: a config object and a callback. */
  function run(c: pg.Client, text: string, values: unknown[]): Promise<pg.QueryResult> {
    return new Promise((resolve, reject) => {
      (c as unknown as PgConnection).query({ text, values }, (err: Error | null, result: unknown) =>
        err ? reject(err) : resolve(result as pg.QueryResult),
      );
    });
  }

  async function prepared(c: pg.Client): Promise<string[]> {
    const result = await c.query<{ statement: string }>(
      'select statement from pg_prepared_statements order by prepare_time, name',
    );
    return result.rows.map((r) => r.statement);
  }

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    const setup = await client();
    await setup.query('create table boxes (id integer primary key, label text)');
    await setup.query("insert into boxes values (1, 'one'), (2, 'two'), (3, 'three')");
  });
  afterEach(async () => {
    while (clients.length > 1) await clients.pop()?.end();
  });
  afterAll(async () => {
    for (const c of clients) await c.end();
    await tdb?.drop();
  });

  it('prepares a statement with parameters once and runs it again by name; one without stays unnamed', async () => {
    const c = await client(10);
    const text = 'select label from boxes where id = $1';
    expect((await run(c, text, [1])).rows).toEqual([{ label: 'one' }]);
    expect((await run(c, text, [2])).rows).toEqual([{ label: 'two' }]);
    expect((await run(c, 'select count(*)::int as n from boxes', [])).rows).toEqual([{ n: 3 }]);
    expect(await prepared(c)).toEqual([text]);
  });

  it('keeps the most recently used statements prepared and deallocates the rest', async () => {
    const c = await client(2);
    const texts = ['select $1::int + 1 as n', 'select $1::int + 2 as n', 'select $1::int + 3 as n'];
    for (const [i, text] of texts.entries()) expect((await run(c, text, [i])).rows).toEqual([{ n: 2 * i + 1 }]);
    expect(await prepared(c)).toEqual(texts.slice(1));
    // The deallocated one is prepared again when it comes back.
    expect((await run(c, texts[0]!, [10])).rows).toEqual([{ n: 11 }]);
    expect((await prepared(c)).sort()).toEqual([texts[0], texts[2]]);
  });

  it('answers a schema changed under a prepared select * with a retryable error, then prepares it afresh', async () => {
    const c = await client(10);
    const text = 'select * from boxes where id = $1';
    expect((await run(c, text, [3])).rows).toEqual([{ id: 3, label: 'three' }]);
    await clients[0]!.query("alter table boxes add column colour text not null default 'red'");
    const failed = await run(c, text, [3]).then(
      () => null,
      (err: unknown) => err,
    );
    expect(databaseUnavailable(failed)).toMatch(/schema changed/);
    expect((await run(c, text, [3])).rows).toEqual([{ id: 3, label: 'three', colour: 'red' }]);
    expect(await prepared(c)).toEqual([text]);
  });

  it("is how Anvil's database connections send their queries", async () => {
    const db = openDatabase(tdb.url);
    try {
      await migrateToLatest(db.knex);
      const statements = await db.knex.transaction(async (trx) => {
        await trx('nodes').where({ id: 1 }).first();
        await trx('nodes').where({ id: 2 }).first();
        const result: { rows: { statement: string }[] } = await trx.raw(
          'select statement from pg_prepared_statements where statement like \'%from "nodes"%\'',
        );
        return result.rows.map((r) => r.statement);
      });
      expect(statements).toEqual(['select * from "nodes" where "id" = $1 limit $2']);
    } finally {
      await db.close();
    }
  });
});
