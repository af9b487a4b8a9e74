import { gzipSync } from 'node:zlib';
import { match } from 'path-to-regexp';
import { expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../../api/json-body.js';
import { POLICY } from '../../../api/policy.js';
import { describeOnEngines, faultOf, type ApiResponse } from '../../support/service.js';
import { IPA_INVENTORY } from '../../unit/api/routes/ipa-inventory.js';

const V = '1.90';

/** `depth` objects one inside another, as JSON text: `{"a":{"a":...1...}}`. */
function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function expectIronicError(res: ApiResponse, status: number, text: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(Object.keys(res.body as object)).toEqual(['error_message']);
  expect(faultOf(res)).toContain(text);
}

describeOnEngines('a PATCH that changes nothing answers the resource as it is, as Ironic does', (svc) => {
  it.each([
    ['its name set to itself', [{ op: 'replace', path: '/name', value: 'same-node' }]],
    ['its name added as itself', [{ op: 'add', path: '/name', value: 'same-node' }]],
    ['an unchanged password set again', [{ op: 'replace', path: '/driver_info/redfish_password', value: 'pw' }]],
    ['only test operations', [{ op: 'test', path: '/name', value: 'same-node' }]],
    [
      'a key added and removed',
      [
        { op: 'add', path: '/extra/a', value: 1 },
        { op: 'remove', path: '/extra/a' },
      ],
    ],
    ['a move onto itself', [{ op: 'move', from: '/extra/kept', path: '/extra/kept' }]],
    ['an interface set to what it is', [{ op: 'replace', path: '/power_interface', value: 'fake' }]],
  ])('node: %s', async (_label, patch) => {
    const created = await svc().request(
      'POST',
      '/v1/nodes',
      { driver: 'fake-hardware', name: 'same-node', driver_info: { redfish_password: 'pw' }, extra: { kept: 1 } },
      V,
    );
    expect(created.status).toBe(201);
    try {
      const res = await svc().request('PATCH', `/v1/nodes/${created.body.uuid}`, patch, V);
      expect(res.status, res.text).toBe(200);
      expect(res.body.uuid).toBe(created.body.uuid);
      expect(res.body.name).toBe('same-node');
      expect(res.body.extra).toEqual({ kept: 1 });
      expect(res.body.updated_at).toBe(created.body.updated_at);
    } finally {
      await svc().request('DELETE', `/v1/nodes/${created.body.uuid}`, undefined, V);
    }
  });

  it('ports, port groups, chassis, allocations and deploy templates', async () => {
    const node = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' }, V)).body;
    const create = async (path: string, body: object) => {
      const res = await svc().request('POST', path, body, V);
      expect(res.status, res.text).toBe(201);
      return res.body.uuid as string;
    };
    const port = await create('/v1/ports', { address: '52:54:00:12:00:01', node_uuid: node.uuid });
    const group = await create('/v1/portgroups', { address: '52:54:00:12:00:02', node_uuid: node.uuid, name: 'pg' });
    const chassis = await create('/v1/chassis', { description: 'rack 1' });
    const allocation = await create('/v1/allocations', { resource_class: 'none-such', name: 'alloc' });
    const template = await create('/v1/deploy_templates', {
      name: 'CUSTOM_SAME',
      steps: [{ interface: 'bios', step: 'apply_configuration', args: { settings: [] }, priority: 10 }],
    });
    const cases: [string, unknown[]][] = [
      [`/v1/ports/${port}`, [{ op: 'replace', path: '/address', value: '52:54:00:12:00:01' }]],
      [`/v1/ports/${port}`, [{ op: 'replace', path: '/node_uuid', value: node.uuid }]],
      [`/v1/portgroups/${group}`, [{ op: 'replace', path: '/name', value: 'pg' }]],
      [`/v1/portgroups/${group}`, [{ op: 'test', path: '/name', value: 'pg' }]],
      [`/v1/chassis/${chassis}`, [{ op: 'replace', path: '/description', value: 'rack 1' }]],
      [
        `/v1/chassis/${chassis}`,
        [
          { op: 'add', path: '/extra/a', value: 1 },
          { op: 'remove', path: '/extra/a' },
        ],
      ],
      [`/v1/allocations/${allocation}`, [{ op: 'replace', path: '/name', value: 'alloc' }]],
      [`/v1/allocations/${allocation}`, [{ op: 'test', path: '/name', value: 'alloc' }]],
      [`/v1/deploy_templates/${template}`, [{ op: 'replace', path: '/name', value: 'CUSTOM_SAME' }]],
      [`/v1/deploy_templates/${template}`, [{ op: 'test', path: '/name', value: 'CUSTOM_SAME' }]],
    ];
    for (const [path, patch] of cases) {
      const res = await svc().request('PATCH', path, patch, V);
      expect(res.status, `${path} ${JSON.stringify(patch)}: ${res.text}`).toBe(200);
      expect(res.body.uuid).toBe(path.split('/').pop());
    }
  });
});

describeOnEngines('request bodies: every refusal of the body parser is a 4xx in Ironic form', (svc) => {
  it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} levels with 400, and writes nothing`, async () => {
    const before = (await svc().request('GET', '/v1/nodes', undefined, V)).body.nodes.length;
    for (const depth of [MAX_JSON_DEPTH, 5_000, 100_000]) {
      const res = await svc().request('POST', '/v1/nodes', `{"driver":"fake-hardware","extra":${nested(depth)}}`, V);
      expectIronicError(res, 400, `deeper than ${MAX_JSON_DEPTH} levels`);
    }
    expect((await svc().request('GET', '/v1/nodes', undefined, V)).body.nodes.length).toBe(before);
  });

  it('takes a document exactly as deep as the bound, and serves it back', async () => {
    // The body is one level: extra may hold the rest.
    const extra = JSON.parse(nested(MAX_JSON_DEPTH - 1)) as object;
    const res = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', extra }, V);
    expect(res.status, res.text).toBe(201);
    const read = await svc().request('GET', `/v1/nodes/${res.body.uuid}`, undefined, V);
    expect(read.body.extra).toEqual(extra);
  });

  it('refuses a deep document on every route that reads a body, the agent endpoints included', async () => {
    const deep = nested(5_000);
    const node = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' }, V)).body;
    const cases: [string, string, string][] = [
      ['PATCH', `/v1/nodes/${node.uuid}`, `[{"op":"add","path":"/extra/a","value":${deep}}]`],
      ['POST', '/v1/ports', `{"address":"52:54:00:12:00:09","node_uuid":"${node.uuid}","extra":${deep}}`],
      ['POST', '/v1/chassis', `{"extra":${deep}}`],
      ['PUT', `/v1/nodes/${node.uuid}/states/provision`, `{"target":"manage","x":${deep}}`],
      ['POST', '/v1/continue_inspection', `{"inventory":${deep}}`],
      ['POST', `/v1/heartbeat/${node.uuid}`, `{"callback_url":${deep}}`],
    ];
    for (const [method, path, body] of cases) {
      expectIronicError(await svc().request(method, path, body, V), 400, 'deeper than');
    }
  });

  it('refuses patches that stack a document deeper than the bound, one under another', async () => {
    const node = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' }, V)).body;
    const half = MAX_JSON_DEPTH - 10;
    const first = await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [
      { op: 'add', path: '/extra/a', value: JSON.parse(nested(half)) },
    ]);
    expect(first.status, first.text).toBe(200);
    const deepest = `/extra/a${'/a'.repeat(half - 1)}`;
    const second = await svc().request(
      'PATCH',
      `/v1/nodes/${node.uuid}`,
      [{ op: 'replace', path: deepest, value: JSON.parse(nested(half)) }],
      V,
    );
    expectIronicError(second, 400, `The patched node is nested deeper than ${MAX_JSON_DEPTH} levels`);
    const read = await svc().request('GET', `/v1/nodes/${node.uuid}`, undefined, V);
    expect(read.status).toBe(200);
  });

  it('answers 400 to a body that says gzip and is not, and still reads one that is', async () => {
    const headers = { 'Content-Encoding': 'gzip', 'Content-Type': 'application/json' };
    const garbage = await fetch(`${svc().url}/v1/nodes`, {
      method: 'POST',
      headers: { ...headers, 'X-OpenStack-Ironic-API-Version': V },
      body: '{"driver":"fake-hardware"}',
    });
    const text = await garbage.text();
    expect(garbage.status, text).toBe(400);
    expect(JSON.parse(JSON.parse(text).error_message).faultstring).toContain('could not be read');
    const real = await fetch(`${svc().url}/v1/nodes`, {
      method: 'POST',
      headers: { ...headers, 'X-OpenStack-Ironic-API-Version': V },
      body: gzipSync('{"driver":"fake-hardware"}'),
    });
    expect(real.status, await real.text()).toBe(201);
  });

  it.each([
    ['POST', '/v1/nodes', 'null', 'must be a JSON object, not null'],
    ['POST', '/v1/nodes', '5', 'must be a JSON object, not a number'],
    ['POST', '/v1/ports', '"x"', 'must be a JSON object, not a string'],
    ['PATCH', '/v1/nodes/any', 'true', 'must be a JSON list of patch operations, not a boolean'],
  ])('%s %s with a body of %s answers 400 saying what was expected', async (method, path, body, text) => {
    expectIronicError(await svc().request(method, path, body, V), 400, text);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
    'answers 415 to a body of type %s',
    async (type) => {
      const res = await svc().request('POST', '/v1/nodes', '{"driver":"fake-hardware"}', V, { 'Content-Type': type });
      expectIronicError(res, 415, type);
    },
  );

  it('takes a DELETE that python-ironicclient labels application/octet-stream, with no body', async () => {
    const created = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' }, V);
    expect(created.status, created.text).toBe(201);
    const res = await fetch(`${svc().url}/v1/nodes/${created.body.uuid as string}`, {
      method: 'DELETE',
      headers: {
        'X-OpenStack-Ironic-API-Version': V,
        'Content-Type': 'application/octet-stream',
        'Content-Length': '0',
      },
    });
    expect(res.status, await res.text()).toBe(204);
  });

  it('reads a body sent without a Content-Type as JSON, as Ironic does', async () => {
    const res = await fetch(`${svc().url}/v1/nodes`, {
      method: 'POST',
      headers: { 'X-OpenStack-Ironic-API-Version': V },
      // A Uint8Array body goes out without a Content-Type; a string would be sent as text/plain.
      body: new TextEncoder().encode('{"driver":"fake-hardware"}'),
    });
    expect(res.status, await res.text()).toBe(201);
  });
});

// Each refusal slows the agent endpoints down for its source (AGENT_FAILURE_THROTTLE): five go free, so the
// shapes are checked one by one in test/unit/api/routes/inspection-data.test.ts and only a few are sent here.
describeOnEngines('continue_inspection checks the inventory it is sent', (svc) => {
  const inspect = (body: unknown) => svc().request('POST', '/v1/continue_inspection', body, V);

  it.each([
    ['interfaces that are not objects', { interfaces: [null, 5, 'x', { mac_address: {} }] }, 'interfaces/0'],
    ['a MAC that is an object', { interfaces: [{ name: 'eth0', mac_address: {} }] }, 'mac_address'],
    ['a disk that is null', { interfaces: [], disks: [null] }, 'disks/0'],
    ['an inventory that is null', null, 'inventory'],
  ])('refuses %s with 400', async (_label, inventory, field) => {
    expectIronicError(await inspect({ inventory }), 400, field);
  });

  it('takes an inventory shaped as IPA sends it, and looks its host up (unknown here: 404)', async () => {
    const res = await inspect({ inventory: IPA_INVENTORY, boot_interface: '01-52-54-00-ab-cd-ef' });
    expect(res.status, res.text).toBe(404);
  });
});

describeOnEngines('methods, headers and URLs the API does not take', (svc) => {
  it.each(['PUT', 'DELETE', 'PATCH'])('%s /v1/nodes answers 405 with Allow: GET, HEAD, POST', async (method) => {
    for (const path of ['/v1/nodes', '/nodes', '/v1/nodes/']) {
      const res = await svc().request(method, path, method === 'DELETE' ? undefined : {}, V);
      expectIronicError(res, 405, method);
      expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
    }
  });

  it('answers 405 with the allowed methods on every path of the policy table, for a method it does not serve', async () => {
    const paths = [...new Set(POLICY.map((rule) => rule.path.replace(/:[a-z_]+/g, 'x')))];
    let checked = 0;
    for (const path of paths) {
      // Every route that would take the path: /v1/nodes/detail is also /v1/nodes/:ident.
      const methods: string[] = [
        ...new Set(POLICY.filter((rule) => match(rule.path)(path) !== false).map((r) => r.method)),
      ];
      const missing = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].find((m) => !methods.includes(m));
      if (missing === undefined) continue;
      const res = await svc().request(missing, path, undefined, '1.110');
      expect(res.status, `${missing} ${path}: ${res.text}`).toBe(405);
      const allowed = methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
      expect(res.headers.get('allow'), `${missing} ${path}`).toBe(allowed.join(', '));
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('still answers 404 for a path no route serves', async () => {
    expectIronicError(await svc().request('PUT', '/v1/widgets', {}, V), 404, '/v1/widgets');
  });

  it('names the OpenStack-API-Version header when its value is wrong', async () => {
    const res = await svc().request('GET', '/v1/nodes', undefined, null, { 'OpenStack-API-Version': 'baremetal 1.x' });
    expectIronicError(res, 406, 'Invalid value for OpenStack-API-Version header: 1.x');
    expect(faultOf(res)).not.toContain('X-OpenStack-Ironic-API-Version');
    const legacy = await svc().request('GET', '/v1/nodes', undefined, '1.x');
    expectIronicError(legacy, 406, 'Invalid value for X-OpenStack-Ironic-API-Version header: 1.x');
  });

  it.each([
    ['a 100 KB URL', { path: `/v1/nodes?name=${'a'.repeat(100_000)}`, headers: {} }],
    ['a 100 KB header', { path: '/v1/nodes', headers: { 'X-Padding': 'a'.repeat(100_000) } }],
  ])('answers %s with 431 in Ironic form, and keeps serving', async (_label, { path, headers }) => {
    const res = await svc().request('GET', path, undefined, V, headers);
    expectIronicError(res, 431, 'too large');
    expect((await svc().request('GET', '/v1/nodes', undefined, V)).status).toBe(200);
  });
});
