// The dashboard's feed follower against a real Anvil, through a TCP proxy
// the test can cut: a lost connection shows as `reconnecting`, and once it
// is back the follower resumes from its cursor, so what changed while it
// was cut arrives, in order, with nothing missed and nothing twice.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../ui/src/api.js';
import { FeedFollower, type Change } from '../../../ui/src/feed.js';
import { eventually, startTestService, type TestService } from '../../support/service.js';

/** A loopback TCP proxy to `port` whose connections can all be cut at once, and refused while it is down. */
async function startProxy(port: number): Promise<{ url: string; cut(): void; down: boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { down: false };
  const server: Server = createServer((client) => {
    if (state.down) {
      client.destroy();
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${own}`,
    cut() {
      for (const s of sockets) s.destroy();
    },
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("the dashboard's feed follower", () => {
  let svc: TestService;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let follower: FeedFollower;
  const seen: Change[] = [];

  beforeAll(async () => {
    svc = await startTestService('sqlite', { ANVIL_LOG_LEVEL: 'warn', ANVIL_TFTP_PORT: 'off' });
    proxy = await startProxy(Number(new URL(svc.url).port));
  });
  afterAll(async () => {
    follower.close();
    await proxy.close();
    await svc.close();
  });

  it('shows a lost connection and resumes from its cursor: what changed meanwhile arrives once, in order', async () => {
    const client = new ApiClient({ kind: 'none' }, proxy.url);
    const head = await client.get<{ cursor: string }>('/v1/anvil/events?since=now&limit=1');
    follower = new FeedFollower(
      client,
      (changes) => seen.push(...changes),
      async () => head.cursor,
    );
    follower.startFrom(head.cursor);
    await eventually(
      async () => follower.status.value,
      (s) => s === 'live',
      10_000,
    );
    const create = async (name: string) =>
      (await svc.request('POST', '/v1/nodes', { name, driver: 'fake-hardware' })).body.uuid as string;
    const first = await create('before-cut');
    await eventually(
      async () => seen.length,
      (n) => n >= 1,
      10_000,
    );

    proxy.down = true;
    proxy.cut();
    await eventually(
      async () => follower.status.value,
      (s) => s === 'reconnecting',
      10_000,
    );
    const meanwhile = [];
    for (let i = 0; i < 5; i++) meanwhile.push(await create(`during-cut-${i}`));
    // Still cut: nothing new can have arrived.
    expect(seen.map((c) => c.uuid)).toEqual([first]);

    proxy.down = false;
    await eventually(
      async () => follower.status.value,
      (s) => s === 'live',
      15_000,
    );
    const last = await create('after-cut');
    await eventually(
      async () => seen.length,
      (n) => n >= 7,
      10_000,
    );
    expect(seen.map((c) => c.uuid)).toEqual([first, ...meanwhile, last]);
    expect(seen.every((c) => c.kind === 'node' && c.action === 'created')).toBe(true);
    const cursors = seen.map((c) => c.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(follower.recent.value[0]!.uuid).toBe(last);
  });
});
