// The feed's hard promise: a follower that moved its cursor past a record
// never sees a record below it appear later. On PostgreSQL, writers on
// separate connection pools (as separate processes have) race while one
// transaction that took its cursor first is held open before its commit.
// SQLite has no such race to prove: it lets one writer at a time into the
// database, so a transaction's cursor and its commit come in one piece.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { ChangeFeed, ChangeRecorder, nodeChanges } from '../../../../services/feed/index.js';
import { createLogger } from '../../../../services/logger.js';
import { NodeRepository, type Node } from '../../../../services/nodes/index.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();
const WRITERS = 24;
/** Reads the follower makes while the held transaction is open: enough for racing writers to commit, were they able to. */
const READS_WHILE_HELD = 15;

describe.skipIf(!postgresUp)('change feed commit order [postgres]', () => {
  let tdb: TestDatabase;
  /** Two writers' pools and the follower's. */
  let a: Database;
  let b: Database;
  let reader: Database;
  let feed: ChangeFeed;

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    [a, b, reader] = [openDatabase(tdb.url), openDatabase(tdb.url), openDatabase(tdb.url)];
    await migrateToLatest(a.knex);
    feed = new ChangeFeed({ knex: reader.knex, listenUrl: null, pollIntervalMs: 50, log: createLogger('silent') });
  });
  afterAll(async () => {
    await feed?.close();
    for (const db of [a, b, reader]) await db?.close();
    await tdb?.drop();
  });

  it('never lets a follower skip a record that committed after later cursors were taken', async () => {
    const secrets = SecretBox.fromKey(Buffer.alloc(32, 6));
    const onA = new NodeRepository(a.knex, secrets);
    const onB = new NodeRepository(b.knex, secrets);
    const created: Node[] = [];
    for (let i = 0; i <= WRITERS; i++) created.push(await onA.create(nodeFixture({ name: `order-${i}` })));
    const [held, ...others] = created as [Node, ...Node[]];

    // The follower, from the newest cursor on: every record it reads, in the order it reads them.
    let cursor = (await feed.read(0, 10_000)).cursor;
    const seen: number[] = [];
    const readOnce = async () => {
      const page = await feed.read(cursor, 1000);
      seen.push(...page.changes.map((c) => c.cursor));
      cursor = page.cursor;
    };

    // A transaction takes its cursor first and is held open before its commit.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let recordedHeld!: () => void;
    const heldRecorded = new Promise<void>((resolve) => (recordedHeld = resolve));
    const heldTx = a.knex.transaction(async (trx) => {
      await trx('nodes').where({ id: held.id }).update({ last_error: 'held' });
      await ChangeRecorder.of(a.knex).record(trx, await nodeChanges(trx, 'updated', [held.id]));
      recordedHeld();
      await released;
    });
    await heldRecorded;

    // Writers on both pools race it, and the follower reads all along.
    const writes = others.map((node, i) => (i % 2 === 0 ? onB : onA).update(node.id, { last_error: `racer ${i}` }));
    for (let i = 0; i < READS_WHILE_HELD; i++) {
      await readOnce();
      await sleep(20);
    }
    release();
    await heldTx;
    await Promise.all(writes);
    await readOnce();

    const all = (await feed.read(0, 10_000)).changes.map((c) => c.cursor);
    const written = all.slice(all.length - (WRITERS + 1));
    // The follower saw every record, once, in cursor order: none committed behind its back.
    expect(seen).toEqual(written);
    // The held transaction's record comes first: cursors are handed out in commit order.
    const heldChange = (await feed.read(0, 10_000)).changes.find(
      (c) => c.data.uuid === held.uuid && c.action === 'updated',
    );
    expect(heldChange?.cursor).toBe(written[0]);
  });
});
