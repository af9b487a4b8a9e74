import { beforeAll, expect, it } from 'vitest';
import { POLICY } from '../../../api/index.js';
import { ROLES, TokenStore, type Role } from '../../../services/auth/index.js';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

const V = '1.78';
const NOBODY = '00000000-0000-4000-8000-00000000dead';

interface Link {
  href: string;
  rel: 'self' | 'bookmark';
}

/** The path and query of a link the service wrote. */
function pathOf(href: string): string {
  const url = new URL(href);
  return `${url.pathname}${url.search}`;
}

/** GETs a resource's self and bookmark links and expects the same answer from both. */
async function expectBookmarkAnswersAsSelf(svc: TestService, links: Link[], status = 200): Promise<void> {
  const self = links.find((l) => l.rel === 'self')!;
  const bookmark = links.find((l) => l.rel === 'bookmark')!;
  expect(pathOf(self.href)).toMatch(/^\/v1\//);
  expect(pathOf(bookmark.href)).toBe(pathOf(self.href).slice('/v1'.length));
  const viaSelf = await svc.request('GET', pathOf(self.href), undefined, V);
  const viaBookmark = await svc.request('GET', pathOf(bookmark.href), undefined, V);
  expect(viaSelf.status, self.href).toBe(status);
  expect(viaBookmark.status, bookmark.href).toBe(status);
  expect(viaBookmark.body).toEqual(viaSelf.body);
}

describeOnEngines('paths without the version prefix', (svc) => {
  let node: { uuid: string; links: Link[]; ports: Link[]; states: Link[] };
  let port: { links: Link[] };

  beforeAll(async () => {
    node = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'unversioned' }, V)).body;
    port = (await svc().request('POST', '/v1/ports', { node_uuid: node.uuid, address: '52:54:00:aa:bb:01' }, V)).body;
  });

  it("answers a node's bookmark links with the same body as its self links", async () => {
    await expectBookmarkAnswersAsSelf(svc(), node.links);
    await expectBookmarkAnswersAsSelf(svc(), node.ports);
    await expectBookmarkAnswersAsSelf(svc(), node.states);
  });

  it("answers a port's bookmark link with the same body as its self link", async () => {
    await expectBookmarkAnswersAsSelf(svc(), port.links);
  });

  it("answers the bookmark links of drivers, conductors, allocations, IPAM pools and the v1 document's", async () => {
    const driver = (await svc().request('GET', '/v1/drivers/fake-hardware', undefined, V)).body;
    await expectBookmarkAnswersAsSelf(svc(), driver.links);
    await expectBookmarkAnswersAsSelf(svc(), driver.properties);
    const conductor = (await svc().request('GET', '/v1/conductors', undefined, V)).body.conductors[0];
    await expectBookmarkAnswersAsSelf(svc(), conductor.links);
    const created = (await svc().request('POST', '/v1/allocations', { resource_class: 'none-here' }, V)).body;
    // Allocations are processed after the 201: compare the two reads once it has settled.
    const allocation = (
      await eventually(
        () => svc().request('GET', `/v1/allocations/${created.uuid}`, undefined, V),
        (r) => r.body.state !== 'allocating',
      )
    ).body;
    await expectBookmarkAnswersAsSelf(svc(), allocation.links);
    const pool = (
      await svc().request('POST', '/v1/ipam/pools', { name: 'bookmarked', ranges: [{ subnet: '192.0.2.0/24' }] }, V)
    ).body;
    await expectBookmarkAnswersAsSelf(svc(), pool.links);
    const v1 = (await svc().request('GET', '/v1/', undefined, V)).body;
    for (const name of ['nodes', 'ports', 'drivers']) await expectBookmarkAnswersAsSelf(svc(), v1[name]);
  });

  it('serves every /v1 GET route unprefixed with the same status, and writes there too', async () => {
    const different: string[] = [];
    for (const rule of POLICY.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/'))) {
      // An event stream never ends by itself: a bad cursor gets it answered (400).
      const query = rule.path.endsWith('/events/stream') ? '?since=not-a-cursor' : '';
      const path = `${rule.path.replace(/:[a-z_]+/g, NOBODY)}${query}`;
      const versioned = await svc().request('GET', path, undefined, V);
      const bare = await svc().request('GET', path.slice('/v1'.length), undefined, V);
      if (bare.status !== versioned.status) different.push(`${path}: ${versioned.status}, unprefixed ${bare.status}`);
    }
    expect(different).toEqual([]);
    const created = await svc().request('POST', '/nodes', { driver: 'fake-hardware', name: 'made-bare' }, V);
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('x-openstack-ironic-api-version')).toBe(V);
    expect((await svc().request('DELETE', '/nodes/made-bare', undefined, V)).status).toBe(204);
  });

  it('leaves the root document, /healthz and /metrics alone, and 404s an unknown top-level path', async () => {
    const root = await svc().request('GET', '/', undefined, null);
    expect(root.status).toBe(200);
    expect(root.body.versions[0].id).toBe('v1');
    expect((await svc().request('GET', '/healthz', undefined, null)).body).toEqual({ status: 'ok' });
    const metrics = await svc().request('GET', '/metrics', undefined, null);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('anvil_');
    expect((await svc().request('GET', '/no-such-thing', undefined, null)).status).toBe(404);
  });
});

async function tokenFor(svc: TestService, role: Role): Promise<string> {
  const db = openDatabase(svc.db.url);
  try {
    return (await new TokenStore(db.knex).create({ role })).secret;
  } finally {
    await db.close();
  }
}

describeOnEngines(
  'paths without the version prefix, with token authentication',
  (svc) => {
    const auth = new Map<Role, Record<string, string>>();
    beforeAll(async () => {
      for (const role of ROLES) auth.set(role, { Authorization: `Bearer ${await tokenFor(svc(), role)}` });
    });

    it('asks the same role as the prefixed path: 401 anonymous, 403 below the rule, allowed at it', async () => {
      for (const path of ['/nodes', '/v1/nodes']) {
        expect((await svc().request('GET', path)).status, path).toBe(401);
        expect((await svc().request('GET', path, undefined, V, auth.get('reader'))).status, path).toBe(200);
        const refused = await svc().request('POST', path, { driver: 'fake-hardware' }, V, auth.get('reader'));
        expect(refused.status, path).toBe(403);
        expect(faultOf(refused)).toContain('needs the operator role');
        const made = await svc().request('POST', path, { driver: 'fake-hardware' }, V, auth.get('operator'));
        expect(made.status, path).toBe(201);
      }
      expect((await svc().request('GET', '/anvil/tokens', undefined, V, auth.get('operator'))).status).toBe(403);
      expect((await svc().request('GET', '/anvil/tokens', undefined, V, auth.get('admin'))).status).toBe(200);
      expect((await svc().request('GET', '/conductors', undefined, V)).status).toBe(401);
      expect((await svc().request('GET', '/conductors', undefined, V, auth.get('reader'))).status).toBe(200);
    });

    it('keeps the public paths public: the root document, /healthz and the agent lookup', async () => {
      expect((await svc().request('GET', '/', undefined, null)).status).toBe(200);
      expect((await svc().request('GET', '/healthz', undefined, null)).status).toBe(200);
      const lookup = await svc().request('GET', '/lookup?addresses=52:54:00:00:00:99', undefined, V);
      expect([401, 403]).not.toContain(lookup.status);
      expect(lookup.status).toBe(404);
    });
  },
  { ANVIL_AUTH: 'token' },
);
