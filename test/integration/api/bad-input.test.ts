import { expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines, faultOf } from '../../support/service.js';

describeOnEngines('bad input is refused with a 4xx that names the problem, and nothing is written', (svc) => {
  async function nodeCount() {
    const db = openDatabase(svc().db.url);
    try {
      const [row] = await db.knex('nodes').count({ n: '*' });
      return Number(row!.n);
    } finally {
      await db.close();
    }
  }

  it("answers in Ironic's error body format", async () => {
    const res = await svc().request('POST', '/v1/nodes', { name: 'no-driver' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(Object.keys(res.body)).toEqual(['error_message']);
    const inner = JSON.parse(res.body.error_message);
    expect(inner).toEqual({ faultcode: 'Client', faultstring: expect.stringContaining('driver'), debuginfo: null });
  });

  it.each([
    ['malformed JSON', '{"driver": "fake-hardware",', 400, 'not valid JSON'],
    ['a JSON array', '[1,2]', 400, 'node'],
    ['an unknown field', { driver: 'fake-hardware', colour: 'blue' }, 400, 'colour'],
    ['a read-only field', { driver: 'fake-hardware', provision_state: 'active' }, 400, 'provision_state'],
    ['a wrong type', { driver: 'fake-hardware', driver_info: 'x' }, 400, 'driver_info'],
    ['a wrong type for a boolean', { driver: 'fake-hardware', maintenance: 'yes' }, 400, 'maintenance'],
    ['an invalid uuid', { driver: 'fake-hardware', uuid: 'not-a-uuid' }, 400, 'uuid'],
    ['an invalid name', { driver: 'fake-hardware', name: 'white space' }, 400, 'white space'],
    ['a uuid as name', { driver: 'fake-hardware', name: '11111111-2222-4333-8444-555555555555' }, 400, 'UUID'],
    ['an overlong name', { driver: 'fake-hardware', name: 'a'.repeat(256) }, 400, 'name'],
    ['an unknown driver', { driver: 'ilo4' }, 400, 'ilo4'],
    ['an unknown interface', { driver: 'redfish', power_interface: 'ipmitool' }, 400, 'ipmitool'],
    ['an unknown interface implementation', { driver: 'fake-hardware', boot_interface: 'warp' }, 400, 'warp'],
  ])('refuses %s on node create', async (_label, body, status, text) => {
    const before = await nodeCount();
    const res = await svc().request('POST', '/v1/nodes', body);
    expect(res.status).toBe(status);
    expect(faultOf(res)).toContain(text);
    expect(await nodeCount()).toBe(before);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const before = await nodeCount();
    const res = await svc().request('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      extra: { blob: 'x'.repeat(1024 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(faultOf(res)).toContain('larger than');
    expect(await nodeCount()).toBe(before);
  });

  it('refuses a PATCH that is not a list of operations', async () => {
    const node = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' })).body;
    for (const body of [
      { op: 'add' },
      [{ path: '/extra/a' }],
      [{ op: 'add', path: 'extra/a', value: 1 }],
      [{ op: 'add', path: '/extra/a' }],
    ]) {
      const res = await svc().request('PATCH', `/v1/nodes/${node.uuid}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('answers 404 with an Ironic body for an unknown route', async () => {
    const res = await svc().request('GET', '/v1/widgets');
    expect(res.status).toBe(404);
    expect(faultOf(res)).toContain('/v1/widgets');
  });
});
