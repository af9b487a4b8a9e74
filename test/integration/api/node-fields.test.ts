import fc from 'fast-check';
import { expect, it } from 'vitest';
import { NODE_FIELD_VERSIONS } from '../../../api/serializers/node.js';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines } from '../../support/service.js';

// A `fields` list, and a GET of one node with `fields`, reads only the columns its fields need (nodeColumnsFor). Whatever fields are asked for,
// at whatever version, it must show exactly what the detail list shows of them: secrets masked, derived
// fields (conductor, health, links, provision_state in older words) computed as for the whole node.

const LATEST = 110;
const FIELDS = Object.keys(NODE_FIELD_VERSIONS);

type Listed = Record<string, unknown> & { uuid: string };

describeOnEngines('a fields list or node shows what the detail list shows of those fields', (svc) => {
  it('for any set of fields at any version that has them', async () => {
    for (const [i, state] of (['enroll', 'inspect wait', 'available'] as const).entries()) {
      const created = await svc().request(
        'POST',
        '/v1/nodes',
        {
          name: `fields-${i}`,
          driver: 'ipmi',
          driver_info: { ipmi_address: '127.0.0.1', ipmi_password: `secret-${i}`, nested: { auth_token: 't' } },
          instance_info: { image_source: 'http://img', image_url: 'http://swift/?sig=s' },
          extra: { i },
        },
        '1.90',
      );
      expect(created.status, created.text).toBe(201);
      const db = openDatabase(svc().db.url);
      try {
        // States set directly: what matters is how a list shows them, not how a node gets there.
        await db
          .knex('nodes')
          .where({ name: `fields-${i}` })
          .update({ provision_state: state, power_state: 'power on' });
      } finally {
        await db.close();
      }
    }
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: LATEST }),
        fc.subarray(FIELDS, { minLength: 1, maxLength: 12 }),
        async (minor, wanted) => {
          const fields = wanted.filter((field) => NODE_FIELD_VERSIONS[field]! <= minor);
          fc.pre(fields.length > 0 && minor >= 8);
          const version = `1.${minor}`;
          const detail = await svc().request('GET', '/v1/nodes/detail', undefined, version);
          const some = await svc().request('GET', `/v1/nodes?fields=${fields.join(',')}`, undefined, version);
          expect(some.status, some.text).toBe(200);
          const shown = some.body.nodes as Record<string, unknown>[];
          expect(shown.length).toBe((detail.body.nodes as Listed[]).length);
          for (const [index, node] of shown.entries()) {
            const full = (detail.body.nodes as Listed[])[index]!;
            const expected = Object.fromEntries(
              Object.entries(full).filter(([key]) => fields.includes(key) || key === 'links'),
            );
            expect(node).toEqual(expected);
            // One node asked for with the same fields reads as few columns and shows the same.
            const one = await svc().request(
              'GET',
              `/v1/nodes/${full.uuid}?fields=${fields.join(',')}`,
              undefined,
              version,
            );
            expect(one.status, one.text).toBe(200);
            expect(one.body).toEqual(expected);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
