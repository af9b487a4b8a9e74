// A long poll returns as soon as a change commits: in this process (its
// recorder says so), in another (PostgreSQL's NOTIFY; on SQLite a poll), and
// again after the LISTEN connection was lost. Waits are far longer than the
// test's own time limit, so a test passes only if the wake-up came.
import { getEventListeners } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { ChangeFeed, ChangeRecorder, type NewChange } from '../../../../services/feed/index.js';
import { LISTENER_APPLICATION_NAME } from '../../../../services/feed/listener.js';
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
    const newFeed = (
      knex: Database['knex'],
      options: {
        listen: boolean | string;
        pollIntervalMs: number;
        liveness?: { intervalMs: number; timeoutMs: number };
      },
    ) => {
      const feed = new ChangeFeed({
        knex,
        listenUrl: options.listen === false ? null : options.listen === true ? tdb.url : options.listen,
        pollIntervalMs: options.pollIntervalMs,
        listenerLiveness: options.liveness,
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

    it("wakes on another process's commit of many changes whose last ones showed nothing new", async () => {
      // Recorded 200 to a statement: the second statement's one change repeats the object's last view, and
      // inserts nothing, so the first statement's changes are announced on their own.
      const repeated: NewChange = { kind: 'machine', action: 'created', data: { uuid: crypto.randomUUID() } };
      const recorder = ChangeRecorder.of(elsewhere.knex);
      await elsewhere.knex.transaction((trx) => recorder.record(trx, [repeated]));
      const feed = newFeed(here.knex, {
        listen: engine === 'postgres',
        pollIntervalMs: engine === 'postgres' ? FOREVER_MS : 100,
      });
      if (engine === 'postgres') await listening(here, 1);
      const since = await feed.start('now');
      const waiting = feed.poll(since, 1000, FOREVER_MS, new AbortController().signal);
      const created: NewChange[] = Array.from({ length: 200 }, () => ({
        kind: 'machine',
        action: 'created',
        data: { uuid: crypto.randomUUID() },
      }));
      await elsewhere.knex.transaction((trx) => recorder.record(trx, [...created, { ...repeated, action: 'updated' }]));
      expect((await waiting).changes.map((c) => c.data.uuid)).toEqual(created.map((c) => c.data.uuid));
      await feed.close();
    });

    it.runIf(engine === 'postgres')('listens again after its PostgreSQL connection is lost', async () => {
      const feed = newFeed(here.knex, { listen: true, pollIntervalMs: FOREVER_MS });
      const before = await listening(here, 1);
      await here.knex.raw('select pg_terminate_backend(?)', [before[0]!]);
      // The killed backend lingers in pg_stat_activity for a moment: wait for the new one.
      const after = await listening(here, 1, before);
      expect(after).not.toEqual(before);
      const waiting = feed.poll(await feed.start('now'), 100, FOREVER_MS, new AbortController().signal);
      const node = await new NodeRepository(elsewhere.knex, secrets).create(nodeFixture({ name: 'wake-again' }));
      expect((await waiting).changes.map((c) => c.data.uuid)).toEqual([node.uuid]);
      await feed.close();
    });

    it('leaves nothing behind on a signal that outlives many long polls and streams', async () => {
      const feed = newFeed(here.knex, { listen: false, pollIntervalMs: FOREVER_MS });
      // One signal for all: a connection kept alive across polls, or a consumer's own long-lived one.
      const client = new AbortController().signal;
      const repository = new NodeRepository(here.knex, secrets);
      for (let i = 0; i < 40; i++) {
        const since = await feed.start('now');
        if (i % 2 === 0) {
          expect((await feed.poll(since, 10, 1, client)).changes).toEqual([]);
        } else {
          const waiting = feed.poll(since, 10, FOREVER_MS, client);
          await repository.create(nodeFixture());
          expect((await waiting).changes).toHaveLength(1);
        }
        const stream = feed.follow(since, 10, 1, client);
        await stream.next();
        await stream.return(undefined);
      }
      expect(getEventListeners(client, 'abort')).toHaveLength(0);
      expect(derivedSignals(client)).toBe(0);
    });

    it.runIf(engine === 'postgres')(
      'wakes a waiter for a commit made while its LISTEN connection was being killed',
      async () => {
        const feed = newFeed(here.knex, { listen: true, pollIntervalMs: FOREVER_MS });
        await listening(here, 1);
        const waiting = feed.poll(await feed.start('now'), 100, FOREVER_MS, new AbortController().signal);
        // This database's listener only: other test files listen on databases of their own.
        await here.knex.raw(
          'select pg_terminate_backend(pid) from pg_stat_activity where application_name = ? and datname = current_database()',
          [LISTENER_APPLICATION_NAME],
        );
        // Its NOTIFY goes to no one: the waiter learns of it when the listener is back.
        const node = await new NodeRepository(elsewhere.knex, secrets).create(nodeFixture({ name: 'wake-killed' }));
        expect((await waiting).changes.map((c) => c.data.uuid)).toEqual([node.uuid]);
        await feed.close();
      },
    );

    it.runIf(engine === 'postgres')(
      'notices a LISTEN connection that went silent, and wakes its waiter once listening again',
      async () => {
        const proxy = await startProxy(new URL(tdb.url));
        try {
          const listenUrl = new URL(tdb.url);
          listenUrl.host = `127.0.0.1:${proxy.port}`;
          const feed = newFeed(here.knex, {
            listen: listenUrl.toString(),
            pollIntervalMs: FOREVER_MS,
            liveness: { intervalMs: 100, timeoutMs: 300 },
          });
          const [silenced] = await listening(here, 1);
          const waiting = feed.poll(await feed.start('now'), 100, FOREVER_MS, new AbortController().signal);
          // The connection stays open and says nothing, as behind a dead router: no error, no end.
          proxy.silence();
          const node = await new NodeRepository(elsewhere.knex, secrets).create(nodeFixture({ name: 'wake-silent' }));
          expect((await waiting).changes.map((c) => c.data.uuid)).toEqual([node.uuid]);
          expect(await listening(here, 2)).toContain(silenced);
          await feed.close();
        } finally {
          proxy.close();
        }
      },
    );

    it('answers an empty page and the same cursor when nothing commits within the wait', async () => {
      const feed = newFeed(here.knex, { listen: false, pollIntervalMs: 50 });
      const since = await feed.start('now');
      expect(await feed.poll(since, 100, 200, new AbortController().signal)).toEqual({
        changes: [],
        cursor: since,
        feedClosed: false,
      });
    });

    it('ends a wait when the client goes away, and every wait when the feed closes', async () => {
      const feed = newFeed(here.knex, { listen: engine === 'postgres', pollIntervalMs: FOREVER_MS });
      const since = await feed.start('now');
      const client = new AbortController();
      const abandoned = feed.poll(since, 100, FOREVER_MS, client.signal);
      client.abort();
      expect(await abandoned).toEqual({ changes: [], cursor: since, feedClosed: false });
      const waits = [0, 1, 2].map(() => feed.poll(since, 100, FOREVER_MS, new AbortController().signal));
      const streams = feed.follow(since, 100, FOREVER_MS, new AbortController().signal);
      const streamed = streams.next();
      await feed.close();
      for (const page of await Promise.all(waits))
        expect(page).toEqual({ changes: [], cursor: since, feedClosed: true });
      expect((await streamed).done).toBe(true);
    });
  });
}

/**
 * How many signals Node's `AbortSignal.any` derived from `signal` it still
 * tracks: an internal set that only grows until `signal` aborts (0 where
 * this Node keeps none).
 */
function derivedSignals(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
  const tracked = key === undefined ? undefined : (signal as unknown as Record<symbol, { size?: unknown }>)[key];
  // Node's own Set, of another realm than the test's: read its size, not its class.
  return typeof tracked?.size === 'number' ? tracked.size : 0;
}

/** A TCP proxy to PostgreSQL whose open connections can be made to go silent. */
async function startProxy(target: URL) {
  const pairs: [net.Socket, net.Socket][] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) socket.on('error', () => undefined);
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    /** Connections open now carry nothing more either way; new ones pass. */
    silence() {
      for (const [client, upstream] of pairs.splice(0)) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    close() {
      server.close();
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
    },
  };
}

/** The backend pids LISTENing on the test's database, once there are `count` of them. */
async function listening(db: Database, count: number, gone: readonly number[] = []): Promise<number[]> {
  for (;;) {
    const result: { rows: { pid: number }[] } = await db.knex.raw(
      `select pid from pg_stat_activity where datname = current_database() and query = 'LISTEN anvil_changes' order by pid`,
    );
    const pids = result.rows.map((r) => r.pid).filter((pid) => !gone.includes(pid));
    if (pids.length === count && result.rows.length === count) return pids;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
