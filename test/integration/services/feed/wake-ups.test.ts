// A long poll returns as soon as a change commits: in this process (its
// recorder says so), in another (PostgreSQL's NOTIFY; on SQLite a poll), and
// again after the LISTEN connection was lost. Waits are far longer than the
// test's own time limit, so a test passes only if the wake-up came.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { ChangeFeed } from '../../../../services/feed/index.js';
import { createLogger } from '../../../../services/logger.js';
import { NodeRepository } from '../../../../services/nodes/index.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();
/** Longer than any test may run: a poll that returns did not wait it out. */
const FOREVER_MS = 3_600_000;
const log = createLogger('silent');

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`change feed wake-ups [${engine}]`, () => {
    let tdb: TestDatabase;
    /** This process's writes, and another process's (a pool of its own). */
    let here: Database;
    let elsewhere: Database;
    const secrets = SecretBox.fromKey(Buffer.alloc(32, 8));
    const feeds: ChangeFeed[] = [];
    const newFeed = (knex: Database['knex'], options: { listen: boolean; pollIntervalMs: number }) => {
      const feed = new ChangeFeed({
        knex,
        listenUrl: options.listen ? tdb.url : null,
        pollIntervalMs: options.pollIntervalMs,
        log,
      });
      feeds.push(feed);
      return feed;
    };

    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      here = openDatabase(tdb.url);
      elsewhere = openDatabase(tdb.url);
      await migrateToLatest(here.knex);
    });
    afterAll(async () => {
      for (const feed of feeds) await feed.close();
      await here?.close();
      await elsewhere?.close();
      await tdb?.drop();
    });

    it("wakes on this process's own commit, with no poll and no notification", async () => {
      const feed = newFeed(here.knex, { listen: false, pollIntervalMs: FOREVER_MS });
      const since = await feed.start('now');
      const waiting = feed.poll(since, 100, FOREVER_MS, new AbortController().signal);
      const node = await new NodeRepository(here.knex, secrets).create(nodeFixture({ name: 'wake-local' }));
      const page = await waiting;
      expect(page.changes.map((c) => c.data.uuid)).toEqual([node.uuid]);
      expect(page.cursor).toBe(page.changes[0]!.cursor);
    });

    it("wakes on another process's commit", async () => {
      // PostgreSQL: only the NOTIFY can wake it (no poll within the test's time). SQLite: the poll does.
      const feed = newFeed(here.knex, {
        listen: engine === 'postgres',
        pollIntervalMs: engine === 'postgres' ? FOREVER_MS : 100,
      });
      if (engine === 'postgres') await listening(here, 1);
      const since = await feed.start('now');
      const waiting = feed.poll(since, 100, FOREVER_MS, new AbortController().signal);
      const node = await new NodeRepository(elsewhere.knex, secrets).create(nodeFixture({ name: 'wake-remote' }));
      expect((await waiting).changes.map((c) => c.data.uuid)).toEqual([node.uuid]);
      await feed.close();
    });

    it.runIf(engine === 'postgres')('listens again after its PostgreSQL connection is lost', async () => {
      const feed = newFeed(here.knex, { listen: true, pollIntervalMs: FOREVER_MS });
      const before = await listening(here, 1);
      await here.knex.raw('select pg_terminate_backend(?)', [before[0]!]);
      const after = await listening(here, 1);
      expect(after).not.toEqual(before);
      const waiting = feed.poll(await feed.start('now'), 100, FOREVER_MS, new AbortController().signal);
      const node = await new NodeRepository(elsewhere.knex, secrets).create(nodeFixture({ name: 'wake-again' }));
      expect((await waiting).changes.map((c) => c.data.uuid)).toEqual([node.uuid]);
      await feed.close();
    });

    it('answers an empty page and the same cursor when nothing commits within the wait', async () => {
      const feed = newFeed(here.knex, { listen: false, pollIntervalMs: 50 });
      const since = await feed.start('now');
      expect(await feed.poll(since, 100, 200, new AbortController().signal)).toEqual({ changes: [], cursor: since });
    });

    it('ends a wait when the client goes away, and every wait when the feed closes', async () => {
      const feed = newFeed(here.knex, { listen: engine === 'postgres', pollIntervalMs: FOREVER_MS });
      const since = await feed.start('now');
      const client = new AbortController();
      const abandoned = feed.poll(since, 100, FOREVER_MS, client.signal);
      client.abort();
      expect((await abandoned).changes).toEqual([]);
      const waits = [0, 1, 2].map(() => feed.poll(since, 100, FOREVER_MS, new AbortController().signal));
      const streams = feed.follow(since, 100, FOREVER_MS, new AbortController().signal);
      const streamed = streams.next();
      await feed.close();
      for (const page of await Promise.all(waits)) expect(page).toEqual({ changes: [], cursor: since });
      expect((await streamed).done).toBe(true);
    });
  });
}

/** The backend pids LISTENing on the test's database, once there are `count` of them. */
async function listening(db: Database, count: number): Promise<number[]> {
  for (;;) {
    const result: { rows: { pid: number }[] } = await db.knex.raw(
      `select pid from pg_stat_activity where datname = current_database() and query = 'LISTEN anvil_changes' order by pid`,
    );
    if (result.rows.length === count) return result.rows.map((r) => r.pid);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
