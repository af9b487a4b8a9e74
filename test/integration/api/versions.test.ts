import { expect, it } from 'vitest';
import { describeOnEngines, faultOf } from '../../support/service.js';

describeOnEngines('version discovery and negotiation', (svc) => {
  it('serves the root document without a version header', async () => {
    const res = await svc().request('GET', '/', undefined, null);
    expect(res.status).toBe(200);
    expect(res.body.default_version).toMatchObject({
      id: 'v1',
      min_version: '1.1',
      version: '1.110',
      status: 'CURRENT',
    });
    expect(res.body.versions).toHaveLength(1);
  });

  it('serves /v1/ with the version range gophercloud parses', async () => {
    const res = await svc().request('GET', '/v1/', undefined, '1.89');
    expect(res.status).toBe(200);
    expect(res.body.id).toBe('v1');
    expect(res.body.version).toMatchObject({ min_version: '1.1', version: '1.110' });
    expect(res.body.nodes[0].href).toMatch(/\/v1\/nodes\/$/);
  });

  it('answers 405 to anything but GET on /v1/', async () => {
    const res = await svc().request('POST', '/v1/', {});
    expect(res.status).toBe(405);
  });

  it('uses the minimum version when no header is sent', async () => {
    const res = await svc().request('GET', '/v1/nodes', undefined, null);
    expect(res.headers.get('x-openstack-ironic-api-version')).toBe('1.1');
  });

  it('prefers OpenStack-API-Version over the legacy header', async () => {
    const res = await svc().request('GET', '/v1/nodes', undefined, '1.20', {
      'OpenStack-API-Version': 'baremetal 1.89',
    });
    expect(res.headers.get('x-openstack-ironic-api-version')).toBe('1.89');
  });

  it('takes latest as the maximum', async () => {
    const res = await svc().request('GET', '/v1/nodes', undefined, 'latest');
    expect(res.headers.get('x-openstack-ironic-api-version')).toBe('1.110');
  });

  it.each(['1.111', '2.0', '1.0', 'abc', '1.x', '1'])(
    'answers 406 to version %s with the range headers set',
    async (v) => {
      const res = await svc().request('GET', '/v1/nodes', undefined, v);
      expect(res.status).toBe(406);
      expect(res.headers.get('x-openstack-ironic-api-minimum-version')).toBe('1.1');
      expect(res.headers.get('x-openstack-ironic-api-maximum-version')).toBe('1.110');
      expect(faultOf(res)).toContain(v);
    },
  );

  it('puts the three version headers and a request id on error responses too', async () => {
    const res = await svc().request('GET', '/v1/nodes/no-such-node');
    expect(res.status).toBe(404);
    expect(res.headers.get('x-openstack-ironic-api-minimum-version')).toBe('1.1');
    expect(res.headers.get('x-openstack-ironic-api-maximum-version')).toBe('1.110');
    expect(res.headers.get('x-openstack-ironic-api-version')).toBe('1.78');
    expect(res.headers.get('x-openstack-request-id')).toMatch(/^req-/);
  });

  it('hides fields newer than the requested version and 406s when they are asked for', async () => {
    const created = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'versioned' });
    expect(created.status).toBe(201);
    const old = await svc().request('GET', '/v1/nodes/versioned', undefined, '1.30');
    expect(old.body).not.toHaveProperty('traits');
    expect(old.body).not.toHaveProperty('boot_interface');
    expect(old.body).toHaveProperty('resource_class');
    const tooNew = await svc().request('GET', '/v1/nodes/versioned?fields=traits', undefined, '1.30');
    expect(tooNew.status).toBe(406);
    const newer = await svc().request('GET', '/v1/nodes/versioned', undefined, '1.110');
    expect(newer.body).toHaveProperty('disable_power_off', false);
  });

  it('refuses a too-new field in a create body with 406', async () => {
    const res = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', owner: 'x' }, '1.49');
    expect(res.status).toBe(406);
  });

  it('creates nodes in available before 1.11 and in enroll since', async () => {
    const old = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' }, '1.10');
    expect(old.body.provision_state).toBe('available');
    const veryOld = await svc().request('GET', `/v1/nodes/${old.body.uuid}`, undefined, '1.1');
    expect(veryOld.body.provision_state).toBeNull();
    const now = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' }, '1.11');
    expect(now.body.provision_state).toBe('enroll');
  });
});
