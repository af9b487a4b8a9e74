import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines, type TestService } from '../../support/service.js';

// A detail list builds again only the nodes whose row stamp moved (migration 021, api/serializers/
// node-detail-cache.ts). Whoever writes a node (the API, a conductor's own statement, SQL by hand),
// the next detail list, and the next GET of each node (answered from the same cache), must show what
// a GET that names every field shows (read and built afresh), at any version and from any host.

type Listed = Record<string, unknown> & { uuid: string };

async function detail(svc: TestService, version: string, host?: string): Promise<Listed[]> {
  const res = await svc.request('GET', '/v1/nodes/detail', undefined, version, host ? { Host: host } : {});
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return res.body.nodes as Listed[];
}

/** Each node by GET: whole (`fresh` false), or with every field named, which bypasses the cache. */
async function eachGot(
  svc: TestService,
  nodes: Listed[],
  version: string,
  host: string | undefined,
  fresh: boolean,
): Promise<Listed[]> {
  return Promise.all(
    nodes.map(async (node) => {
      const query = fresh ? `?fields=${Object.keys(node).join(',')}` : '';
      const res = await svc.request('GET', `/v1/nodes/${node.uuid}${query}`, undefined, version, {
        ...(host ? { Host: host } : {}),
      });
      expect(res.status, res.text).toBe(200);
      return res.body as Listed;
    }),
  );
}

async function create(svc: TestService, name: string, uuid?: string): Promise<string> {
  const res = await svc.request(
    'POST',
    '/v1/nodes',
    {
      name,
      driver: 'ipmi',
      driver_info: { ipmi_address: '127.0.0.1', ipmi_password: 'secret' },
      ...(uuid ? { uuid } : {}),
    },
    '1.90',
  );
  expect(res.status, res.text).toBe(201);
  return res.body.uuid as string;
}

const byUuid = (a: Listed, b: Listed): number => a.uuid.localeCompare(b.uuid);

type Write =
  | { kind: 'patch'; node: number; value: string }
  | { kind: 'sql'; node: number; column: 'reservation' | 'power_state' | 'last_error'; value: string | null }
  | { kind: 'recreate'; node: number; name: string };

const write: fc.Arbitrary<Write> = fc.oneof(
  fc.record({ kind: fc.constant('patch' as const), node: fc.nat(3), value: fc.string({ maxLength: 8 }) }),
  fc.oneof(
    fc.record({
      kind: fc.constant('sql' as const),
      node: fc.nat(3),
      column: fc.constant('reservation' as const),
      value: fc.constantFrom(null, 'c1', 'c2'),
    }),
    fc.record({
      kind: fc.constant('sql' as const),
      node: fc.nat(3),
      column: fc.constant('power_state' as const),
      value: fc.constantFrom('power on', 'power off'),
    }),
    fc.record({
      kind: fc.constant('sql' as const),
      node: fc.nat(3),
      column: fc.constant('last_error' as const),
      value: fc.constantFrom(null, 'boom'),
    }),
  ),
  fc.record({ kind: fc.constant('recreate' as const), node: fc.nat(3), name: fc.constantFrom('again-a', 'again-b') }),
);

describeOnEngines('a detail list shows every write to a node, whoever made it', (svc) => {
  it('after any writes through the API, by SQL, and a node deleted and made again with its uuid', async () => {
    const uuids = await Promise.all(['d0', 'd1', 'd2', 'd3'].map((name) => create(svc(), name)));
    const db = openDatabase(svc().db.url);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 6 }), async (writes) => {
          // Warm: every node built and kept, by a list and by GETs.
          await eachGot(svc(), await detail(svc(), '1.90'), '1.90', undefined, false);
          for (const w of writes) {
            const uuid = uuids[w.node]!;
            if (w.kind === 'patch') {
              // A reservation set by SQL would refuse the PATCH.
              await db.knex('nodes').where({ uuid }).update({ reservation: null });
              const res = await svc().request('PATCH', `/v1/nodes/${uuid}`, [
                { op: 'add', path: '/extra/v', value: w.value },
              ]);
              expect(res.status, res.text).toBe(200);
            } else if (w.kind === 'sql') {
              await db
                .knex('nodes')
                .where({ uuid })
                .update({ [w.column]: w.value });
            } else {
              await db.knex('nodes').where({ uuid }).update({ reservation: null });
              const del = await svc().request('DELETE', `/v1/nodes/${uuid}`);
              expect(del.status, del.text).toBe(204);
              await create(svc(), `${w.name}-${randomUUID().slice(0, 4)}`, uuid);
            }
          }
          for (const [version, host] of [
            ['1.90', undefined],
            ['1.31', 'anvil.example:6385'],
          ] as const) {
            // GETs first: they must not be answered from what the warm-up kept.
            const nodes = uuids.map((uuid) => ({ uuid }));
            const got = await eachGot(svc(), nodes, version, host, false);
            const fresh = await eachGot(svc(), got, version, host, true);
            expect(got).toEqual(fresh);
            const listed = await detail(svc(), version, host);
            expect([...listed].sort(byUuid)).toEqual([...fresh].sort(byUuid));
            expect(listed.map((n) => n.uuid).sort()).toEqual([...uuids].sort());
          }
        }),
        { numRuns: 15 },
      );
    } finally {
      await db.close();
    }
  });
});
