import { beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines, faultOf, type TestService } from '../../support/service.js';

const V = '1.49';
const DRIVERS = ['fake-hardware', 'idrac', 'ipmi', 'redfish'];
const HOUR_AGO = new Date(Date.now() - 3600_000).toISOString();
const DAY_AGO = new Date(Date.now() - 86_400_000).toISOString();

/** Rows as other conductors left them: one stopped cleanly, one silent past the heartbeat timeout. */
async function addDeadConductors(svc: TestService): Promise<void> {
  const db = openDatabase(svc.db.url);
  try {
    await db.knex('conductors').insert([
      {
        hostname: 'cond-a',
        conductor_group: 'rack-1',
        online: false,
        heartbeat_at: new Date().toISOString(),
        created_at: DAY_AGO,
      },
      { hostname: 'cond-c', conductor_group: '', online: true, heartbeat_at: HOUR_AGO, created_at: DAY_AGO },
    ]);
  } finally {
    await db.close();
  }
}

describeOnEngines(
  'GET /v1/conductors',
  (svc) => {
    beforeAll(async () => {
      await addDeadConductors(svc());
    });

    it('lists every conductor, the dead ones with alive false, in hostname, group and alive only', async () => {
      const res = await svc().request('GET', '/v1/conductors?sort_key=hostname', undefined, V);
      expect(res.status, res.text).toBe(200);
      const base = svc().url;
      expect(res.body.conductors).toEqual([
        {
          hostname: 'cond-a',
          conductor_group: 'rack-1',
          alive: false,
          links: [
            { href: `${base}/v1/conductors/cond-a`, rel: 'self' },
            { href: `${base}/conductors/cond-a`, rel: 'bookmark' },
          ],
        },
        expect.objectContaining({ hostname: 'cond-b', conductor_group: '', alive: true }),
        expect.objectContaining({ hostname: 'cond-c', conductor_group: '', alive: false }),
      ]);
      expect(res.body.next).toBeUndefined();
    });

    it('shows drivers, created_at and updated_at (the last heartbeat) with detail=true', async () => {
      const res = await svc().request('GET', '/v1/conductors?detail=true&sort_key=hostname', undefined, V);
      expect(res.status, res.text).toBe(200);
      const [, live, stale] = res.body.conductors;
      expect(live).toMatchObject({ hostname: 'cond-b', alive: true, drivers: DRIVERS });
      expect(Date.now() - Date.parse(live.updated_at)).toBeLessThan(60_000);
      expect(stale).toMatchObject({
        hostname: 'cond-c',
        alive: false,
        drivers: DRIVERS,
        created_at: DAY_AGO,
        updated_at: HOUR_AGO,
      });
    });

    it('shows one conductor by hostname with every field, and 404 for a hostname never registered', async () => {
      const res = await svc().request('GET', '/v1/conductors/cond-a', undefined, V);
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(
        ['alive', 'conductor_group', 'created_at', 'drivers', 'hostname', 'links', 'updated_at'].sort(),
      );
      expect(res.body).toMatchObject({ hostname: 'cond-a', alive: false, drivers: DRIVERS });
      const missing = await svc().request('GET', '/v1/conductors/nowhere', undefined, V);
      expect(missing.status).toBe(404);
      expect(faultOf(missing)).toBe('Conductor nowhere could not be found.');
    });

    it('keeps the fields asked for (and links), on the list and on one conductor', async () => {
      const list = await svc().request('GET', '/v1/conductors?fields=hostname,drivers&sort_key=hostname', undefined, V);
      expect(list.status, list.text).toBe(200);
      expect(list.body.conductors[1]).toEqual({
        hostname: 'cond-b',
        drivers: DRIVERS,
        links: expect.any(Array),
      });
      const one = await svc().request('GET', '/v1/conductors/cond-b?fields=alive', undefined, V);
      expect(one.body).toEqual({ alive: true, links: expect.any(Array) });
    });

    it('refuses detail with fields, an unknown field and the sort keys Ironic refuses', async () => {
      for (const query of ['detail=true&fields=hostname', 'fields=uuid', 'sort_key=alive', 'sort_key=drivers']) {
        const res = await svc().request('GET', `/v1/conductors?${query}`, undefined, V);
        expect(res.status, query).toBe(400);
      }
    });

    it('pages by hostname: limit, a next link carrying the marker, and sort_dir', async () => {
      const first = await svc().request('GET', '/v1/conductors?sort_key=hostname&limit=2', undefined, V);
      expect(first.body.conductors.map((c: { hostname: string }) => c.hostname)).toEqual(['cond-a', 'cond-b']);
      const next = new URL(first.body.next as string);
      expect(next.pathname).toBe('/v1/conductors');
      expect(next.searchParams.get('marker')).toBe('cond-b');
      const second = await svc().request('GET', `${next.pathname}${next.search}`, undefined, V);
      expect(second.body.conductors.map((c: { hostname: string }) => c.hostname)).toEqual(['cond-c']);
      expect(second.body.next).toBeUndefined();
      const desc = await svc().request(
        'GET',
        '/v1/conductors?sort_key=hostname&sort_dir=desc&marker=cond-c',
        undefined,
        V,
      );
      expect(desc.body.conductors.map((c: { hostname: string }) => c.hostname)).toEqual(['cond-b', 'cond-a']);
      const unknown = await svc().request('GET', '/v1/conductors?marker=nowhere', undefined, V);
      expect(unknown.status).toBe(404);
    });

    it('answers 404 below API 1.49, as Ironic does for an endpoint the version does not have', async () => {
      for (const path of ['/v1/conductors', '/v1/conductors/cond-b']) {
        expect((await svc().request('GET', path, undefined, '1.48')).status, path).toBe(404);
        expect((await svc().request('GET', path, undefined, null)).status, path).toBe(404);
      }
    });
  },
  { ANVIL_CONDUCTOR_NAME: 'cond-b' },
);
