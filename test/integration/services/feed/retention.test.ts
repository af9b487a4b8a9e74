// Retention prunes a prefix of the feed, by age or by count, and a reader
// whose cursor is in the pruned part learns so (410 Gone at the API) instead
// of silently missing records; a cursor from another database is refused too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { ChangeFeed, CursorExpired, pruneChanges } from '../../../../services/feed/index.js';
import { createLogger } from '../../../../services/logger.js';
import { NodeRepository } from '../../../../services/nodes/index.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();
const HOUR_MS = 3_600_000;

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`change feed retention [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    let feed: ChangeFeed;
    let nodes: NodeRepository;

    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await migrateToLatest(db.knex);
      feed = new ChangeFeed({ knex: db.knex, listenUrl: null, pollIntervalMs: 50, log: createLogger('silent') });
      nodes = new NodeRepository(db.knex, SecretBox.fromKey(Buffer.alloc(32, 2)));
    });
    afterAll(async () => {
      await feed?.close();
      await db?.close();
      await tdb?.drop();
    });

    /** Creates `n` nodes; answers the cursors of every record kept. */
    const createNodes = async (n: number) => {
      for (let i = 0; i < n; i++) await nodes.create(nodeFixture());
      return (await feed.read(await feed.start('oldest'), 10_000)).changes.map((c) => c.cursor);
    };

    it('keeps the newest records by count and refuses cursors in the pruned part', async () => {
      const cursors = await createNodes(10);
      expect(await pruneChanges(db.knex, { maxAgeHours: 24, maxRecords: 4 })).toBe(6);
      const kept = cursors.slice(6);
      const lastPruned = cursors[5]!;
      expect((await feed.read(lastPruned, 100)).changes.map((c) => c.cursor)).toEqual(kept);
      await expect(feed.read(lastPruned - 1, 100)).rejects.toThrow(CursorExpired);
      await expect(feed.read(0, 100)).rejects.toThrow(`records through ${lastPruned} were pruned`);
      await expect(feed.start(0)).rejects.toThrow(CursorExpired);
      // "From the oldest" starts after the pruned part, so it is never too old.
      expect(await feed.start('oldest')).toBe(lastPruned);
      const page = await feed.poll('oldest', 100, 0, new AbortController().signal);
      expect(page.changes.map((c) => c.cursor)).toEqual(kept);
      // Pruning again with nothing beyond the count prunes nothing.
      expect(await pruneChanges(db.knex, { maxAgeHours: 24, maxRecords: 4 })).toBe(0);
    });

    it('prunes records older than the retention, and keeps the watermark when the feed is left empty', async () => {
      const cursors = await createNodes(2);
      const newest = cursors.at(-1)!;
      const later = new Date(Date.now() + 25 * HOUR_MS);
      expect(await pruneChanges(db.knex, { maxAgeHours: 24, maxRecords: 1000 }, later)).toBe(cursors.length);
      expect(await feed.start('now')).toBe(newest);
      expect(await feed.read(newest, 100)).toEqual({ changes: [], cursor: newest });
      await expect(feed.read(newest - 1, 100)).rejects.toThrow(CursorExpired);
      // New records carry on after the pruned ones: cursors are never reused.
      const [next] = await createNodes(1);
      expect(next).toBeGreaterThan(newest);
    });

    it('refuses a cursor ahead of the feed (from another or a reset database)', async () => {
      const newest = await feed.start('now');
      await expect(feed.start(newest + 1000)).rejects.toThrow(`its newest record is ${newest}`);
      await expect(feed.read(newest + 1000, 10)).rejects.toThrow(CursorExpired);
    });
  });
}
