// The change feed over HTTP (`/v1/anvil/events`), on both engines: pages
// with cursors, the long poll, the Server-Sent Events stream and its
// resumption, bad input, 410 after pruning, a clean shutdown with followers
// connected, and a follower that rebuilds every node and allocation from the
// feed alone while fake-hardware nodes go through their provision states.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { ChangeRecorder } from '../../../services/feed/index.js';
import { postgresAvailable, ENGINES } from '../../support/engines.js';
import {
  describeOnEngines,
  eventually,
  faultOf,
  startTestService,
  type ApiResponse,
  type TestService,
} from '../../support/service.js';

/** Longer than any test may run: a long poll that answers did not wait it out. */
const FOREVER_SECONDS = '3600';
const FEED_ENV = {
  ANVIL_FEED_MAX_WAIT: FOREVER_SECONDS,
  ANVIL_FEED_HEARTBEAT: '0.2',
  ANVIL_FEED_POLL_INTERVAL: '0.1',
};

interface EventJson {
  cursor: string;
  kind: string;
  action: string;
  uuid: string;
  data: Record<string, unknown> & { uuid: string };
  created_at: string;
}

async function createNode(svc: TestService, fields: Record<string, unknown> = {}): Promise<string> {
  const res = await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', ...fields });
  expect(res.status, res.text).toBe(201);
  return res.body.uuid as string;
}

async function newestCursor(svc: TestService): Promise<string> {
  const res = await svc.request('GET', '/v1/anvil/events?since=now');
  expect(res.status, res.text).toBe(200);
  expect(res.body.events).toEqual([]);
  return res.body.cursor as string;
}

interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comments: string[];
}

/** A Server-Sent Events connection, read frame by frame as a browser's EventSource would. */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const next = async (): Promise<SseFrame | null> => {
    while (!buffer.includes('\n\n')) {
      const { done, value } = await reader.read();
      if (done) return null;
      buffer += decoder.decode(value, { stream: true });
    }
    const end = buffer.indexOf('\n\n');
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const frame: SseFrame = { comments: [] };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) frame.comments.push(line.slice(1).trim());
      else {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon) as 'id' | 'event' | 'data';
        frame[field] = line.slice(colon + 1).trimStart();
      }
    }
    return frame;
  };
  return {
    res,
    next,
    /** The next frame that is an event, past heartbeats and comments. */
    async nextEvent(): Promise<SseFrame> {
      for (;;) {
        const frame = await next();
        if (frame === null) throw new Error('the stream ended');
        if (frame.event !== undefined) return frame;
      }
    },
    close: () => controller.abort(),
  };
}

describeOnEngines(
  'the change feed over HTTP',
  (svc) => {
    it('answers events oldest first, each with its cursor, and pages with a next link', async () => {
      const since = await newestCursor(svc());
      const uuids = [await createNode(svc(), { name: 'page-0' }), await createNode(svc(), { name: 'page-1' })];
      uuids.push(await createNode(svc(), { name: 'page-2' }));
      const first = await svc().request('GET', `/v1/anvil/events?since=${since}&limit=2`);
      expect(first.status, first.text).toBe(200);
      const events = first.body.events as EventJson[];
      expect(events.map((e) => [e.kind, e.action, e.uuid])).toEqual([
        ['node', 'created', uuids[0]],
        ['node', 'created', uuids[1]],
      ]);
      expect(Object.keys(events[0]!).sort()).toEqual(['action', 'created_at', 'cursor', 'data', 'kind', 'uuid']);
      expect(events[0]!.data).toMatchObject({ uuid: uuids[0], name: 'page-0', provision_state: 'enroll' });
      expect(Number(events[1]!.cursor)).toBeGreaterThan(Number(events[0]!.cursor));
      expect(first.body.cursor).toBe(events[1]!.cursor);
      const next = new URL(first.body.next as string);
      expect(next.pathname).toBe('/v1/anvil/events');
      expect(next.searchParams.get('since')).toBe(events[1]!.cursor);
      const second = await svc().request('GET', `${next.pathname}${next.search}`);
      expect((second.body.events as EventJson[]).map((e) => e.uuid)).toEqual([uuids[2]]);
      expect(second.body.next).toBeUndefined();
      // Without since: from the oldest record kept, so the first node's creation is there.
      const all = (await svc().request('GET', '/v1/anvil/events')).body.events as EventJson[];
      expect(all.map((e) => e.uuid)).toEqual(expect.arrayContaining(uuids));
    });

    it('answers a long poll as soon as a change commits, long before its wait is over', async () => {
      const since = await newestCursor(svc());
      const polling = svc().request('GET', `/v1/anvil/events?since=${since}&wait=${FOREVER_SECONDS}`);
      // Gives the poll time to be waiting (were it not, it would answer at once all the same).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const uuid = await createNode(svc(), { name: 'polled' });
      const res = await polling;
      expect(res.status, res.text).toBe(200);
      expect((res.body.events as EventJson[]).map((e) => [e.action, e.uuid])).toEqual([['created', uuid]]);
      // A wait that runs out answers no event and the cursor it was given.
      const quiet = await svc().request('GET', `/v1/anvil/events?since=${res.body.cursor}&wait=0.2`);
      expect(quiet.body).toEqual({ events: [], cursor: res.body.cursor });
    });

    it('streams events with their cursors as ids, heartbeats while quiet, and resumes after Last-Event-ID', async () => {
      const since = await newestCursor(svc());
      const url = `${svc().url}/v1/anvil/events/stream`;
      const stream = await openStream(`${url}?since=${since}`);
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect((await stream.next())?.comments).toEqual([`following from cursor ${since}`]);
      const first = await createNode(svc(), { name: 'sse-0' });
      const created = await stream.nextEvent();
      expect(created.event).toBe('node.created');
      const data = JSON.parse(created.data!) as EventJson;
      expect(data).toMatchObject({ cursor: created.id, kind: 'node', action: 'created', uuid: first });
      expect((await stream.next())?.comments).toEqual(['heartbeat']);
      stream.close();

      // What happens while no one follows is there when the follower comes back.
      const renamed = await svc().request('PATCH', `/v1/nodes/${first}`, [
        { op: 'replace', path: '/name', value: 'sse-0-renamed' },
      ]);
      expect(renamed.status, renamed.text).toBe(200);
      const second = await createNode(svc(), { name: 'sse-1' });
      const resumed = await openStream(`${url}?since=0`, { 'Last-Event-ID': created.id! });
      const again = [await resumed.nextEvent(), await resumed.nextEvent()];
      resumed.close();
      expect(again.map((f) => [f.event, (JSON.parse(f.data!) as EventJson).uuid])).toEqual([
        ['node.updated', first],
        ['node.created', second],
      ]);
      expect((JSON.parse(again[0]!.data!) as EventJson).data.name).toBe('sse-0-renamed');
      expect(Number(again[0]!.id)).toBeGreaterThan(Number(created.id));
      expect(Number(again[1]!.id)).toBeGreaterThan(Number(again[0]!.id));
    });

    it.each([
      ['since=abc', 'Invalid cursor "abc": a cursor is the "cursor" of an event'],
      ['since=-1', 'Invalid cursor "-1"'],
      ['since=1.5', 'Invalid cursor "1.5"'],
      ['limit=0', 'Limit must be positive'],
      ['limit=ten', 'Invalid limit "ten": expected a positive integer.'],
      ['wait=soon', 'Invalid wait "soon": expected a number of seconds (at most 3600).'],
    ])('answers 400 with the reason for %s', async (query, reason) => {
      const res = await svc().request('GET', `/v1/anvil/events?${query}`);
      expect(res.status, res.text).toBe(400);
      expect(faultOf(res)).toContain(reason);
    });

    it('answers 400 before streaming for a bad cursor, in the URL or in Last-Event-ID', async () => {
      const inUrl = await svc().request('GET', '/v1/anvil/events/stream?since=yesterday');
      expect(inUrl.status).toBe(400);
      expect(faultOf(inUrl)).toContain('Invalid cursor "yesterday"');
      const inHeader = await svc().request('GET', '/v1/anvil/events/stream', undefined, '1.78', {
        'Last-Event-ID': 'x1',
      });
      expect(inHeader.status).toBe(400);
      expect(faultOf(inHeader)).toContain('Invalid cursor "x1"');
    });

    it('answers 410 Gone for a cursor ahead of the feed: it belongs to another database', async () => {
      const ahead = Number(await newestCursor(svc())) + 1000;
      const res = await svc().request('GET', `/v1/anvil/events?since=${ahead}`);
      expect(res.status, res.text).toBe(410);
      expect(faultOf(res)).toContain(`Cursor ${ahead} is ahead of the change feed`);
    });
  },
  FEED_ENV,
);

describeOnEngines(
  'the change feed after retention pruned it',
  (svc) => {
    it('answers 410 Gone for a cursor in the pruned part, and serves the rest from the oldest kept', async () => {
      for (let i = 0; i < 8; i++) await createNode(svc());
      const gone = await eventually(
        () => svc().request('GET', '/v1/anvil/events?since=0'),
        (r: ApiResponse) => r.status === 410,
      );
      expect(faultOf(gone)).toMatch(
        /^Cursor 0 is older than the change feed keeps \(records through \d+ were pruned\)\. Take a fresh cursor \(since=now\), list the resources, then follow from that cursor\.$/,
      );
      const stream = await svc().request('GET', '/v1/anvil/events/stream', undefined, '1.78', {
        'Last-Event-ID': '0',
      });
      expect(stream.status).toBe(410);
      const kept = await svc().request('GET', '/v1/anvil/events');
      expect(kept.status).toBe(200);
      expect((kept.body.events as EventJson[]).length).toBeGreaterThan(0);
      expect((kept.body.events as EventJson[]).length).toBeLessThanOrEqual(8);
    });
  },
  { ...FEED_ENV, ANVIL_FEED_MAX_RECORDS: '3', ANVIL_FEED_PRUNE_INTERVAL: '0.2' },
);

const postgresUp = await postgresAvailable();
for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`the change feed at shutdown [${engine}]`, () => {
    it('ends streams and long polls when the service closes, and the close does not wait on them', async () => {
      const svc = await startTestService(engine, FEED_ENV);
      const stream = await openStream(`${svc.url}/v1/anvil/events/stream?since=now`);
      expect((await stream.next())?.comments[0]).toMatch(/^following from cursor \d+$/);
      const polling = svc.request('GET', `/v1/anvil/events?since=now&wait=${FOREVER_SECONDS}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await svc.close();
      const answered = await polling;
      expect(answered.status).toBe(200);
      expect(answered.body.events).toEqual([]);
      let frame = await stream.next();
      while (frame !== null) frame = await stream.next();
    });

    it('closes within seconds while a stream client reads nothing and a long poll waits', async () => {
      const svc = await startTestService(engine, FEED_ENV);
      // Megabytes of feed, far more than socket buffers hold: the stream stalls on a client that does not read.
      const db = openDatabase(svc.db.url);
      const padding = 'x'.repeat(40_000);
      await db.knex.transaction((trx) =>
        ChangeRecorder.of(db.knex).record(
          trx,
          Array.from({ length: 200 }, () => ({
            kind: 'machine' as const,
            action: 'created' as const,
            data: { uuid: crypto.randomUUID(), padding },
          })),
        ),
      );
      await db.close();
      const { hostname, port } = new URL(svc.url);
      const silent = net.connect(Number(port), hostname);
      silent.on('error', () => undefined);
      await new Promise((resolve) => silent.once('connect', resolve));
      silent.write(`GET /v1/anvil/events/stream HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      const polling = svc.request('GET', `/v1/anvil/events?since=now&wait=${FOREVER_SECONDS}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      try {
        const started = Date.now();
        const closed = await Promise.race([
          svc.close().then(() => 'closed'),
          new Promise((resolve) => setTimeout(resolve, 10_000, 'still open')),
        ]);
        expect(closed).toBe('closed');
        expect(Date.now() - started).toBeLessThan(3000);
        expect((await polling).body.events).toEqual([]);
      } finally {
        silent.destroy();
      }
    });
  });
}

/** The fields of a node the feed shows, as the API lists them. */
const NODE_FIELDS = [
  'uuid',
  'name',
  'provision_state',
  'target_provision_state',
  'power_state',
  'target_power_state',
  'maintenance',
  'maintenance_reason',
  'fault',
  'last_error',
  'instance_uuid',
  'allocation_uuid',
  'resource_class',
  'extra',
  'traits',
] as const;
const ALLOCATION_FIELDS = ['uuid', 'name', 'state', 'node_uuid', 'resource_class', 'traits', 'owner', 'last_error'];

const pick = (record: Record<string, unknown>, fields: readonly string[]) =>
  Object.fromEntries(fields.map((f) => [f, record[f]]));

describeOnEngines(
  'a follower of the change feed',
  (svc) => {
    let follower: Promise<void> = Promise.resolve();
    let stopping = false;
    /** Every object by kind and uuid, as the feed alone tells it. */
    const state = new Map<string, Map<string, Record<string, unknown>>>();
    let cursor: string | null = null;

    const apply = (events: EventJson[]) => {
      for (const e of events) {
        const objects = state.get(e.kind) ?? new Map<string, Record<string, unknown>>();
        state.set(e.kind, objects);
        if (e.action === 'deleted') objects.delete(e.uuid);
        else objects.set(e.uuid, e.data);
      }
    };
    /** Reads the feed until it is empty; long polls while the burst goes on. */
    const follow = async (wait: number) => {
      for (;;) {
        const query = cursor === null ? `wait=${wait}` : `since=${cursor}&wait=${wait}`;
        const res = await svc().request('GET', `/v1/anvil/events?${query}&limit=50`);
        expect(res.status, res.text).toBe(200);
        apply(res.body.events as EventJson[]);
        cursor = res.body.cursor as string;
        if ((res.body.events as EventJson[]).length === 0 && (stopping || wait === 0)) return;
      }
    };

    beforeAll(() => {
      follower = follow(1);
    });
    afterAll(async () => {
      stopping = true;
      await follower;
    });

    async function provision(uuid: string, target: string, expected: string, body: Record<string, unknown> = {}) {
      const res = await svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, { target, ...body });
      expect(res.status, `${target}: ${res.text}`).toBe(202);
      await eventually(
        () => svc().request('GET', `/v1/nodes/${uuid}`),
        (r: ApiResponse) =>
          r.body.provision_state === expected && r.body.target_provision_state === null && r.body.reservation === null,
        20_000,
      );
    }

    it('rebuilds every node and allocation from the feed alone, agreeing with the final listing', async () => {
      const uuids: string[] = [];
      for (let i = 0; i < 6; i++) uuids.push(await createNode(svc(), { name: `burst-${i}`, resource_class: 'burst' }));
      await Promise.all(
        uuids.map(async (uuid, i) => {
          await provision(uuid, 'manage', 'manageable');
          await provision(uuid, 'provide', 'available');
          if (i < 3) await provision(uuid, 'active', 'active');
          if (i === 0) await provision(uuid, 'deleted', 'available');
          if (i === 3) {
            const res = await svc().request('PUT', `/v1/nodes/${uuid}/maintenance`, { reason: 'burst' });
            expect(res.status, res.text).toBe(202);
          }
          if (i === 4) expect((await svc().request('DELETE', `/v1/nodes/${uuid}`)).status).toBe(204);
        }),
      );
      const allocation = await svc().request('POST', '/v1/allocations', { name: 'burst-a', resource_class: 'burst' });
      expect(allocation.status, allocation.text).toBe(201);
      await eventually(
        () => svc().request('GET', `/v1/allocations/${allocation.body.uuid as string}`),
        (r: ApiResponse) => r.body.state !== 'allocating',
      );

      stopping = true;
      await follower;
      await follow(0);

      const nodes = (await svc().request('GET', '/v1/nodes/detail')).body.nodes as Record<string, unknown>[];
      const fromFeed = state.get('node')!;
      expect([...fromFeed.keys()].sort()).toEqual(nodes.map((n) => n.uuid as string).sort());
      for (const node of nodes) {
        expect(pick(fromFeed.get(node.uuid as string)!, NODE_FIELDS), node.name as string).toEqual(
          pick(node, NODE_FIELDS),
        );
      }
      expect(fromFeed.get(uuids[4]!)).toBeUndefined();
      expect(fromFeed.get(uuids[3]!)).toMatchObject({ maintenance: true, maintenance_reason: 'burst' });

      const allocations = (await svc().request('GET', '/v1/allocations')).body.allocations as Record<string, unknown>[];
      const allocationsFromFeed = state.get('allocation')!;
      expect([...allocationsFromFeed.keys()].sort()).toEqual(allocations.map((a) => a.uuid as string).sort());
      for (const a of allocations) {
        expect(pick(allocationsFromFeed.get(a.uuid as string)!, ALLOCATION_FIELDS)).toEqual(pick(a, ALLOCATION_FIELDS));
      }
      expect(allocations[0]).toMatchObject({ state: 'active' });
    });
  },
  FEED_ENV,
);
