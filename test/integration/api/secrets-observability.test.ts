import { expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines } from '../../support/service.js';

const PASSWORD = 'hunter2-Very-Secret';

describeOnEngines('secrets', (svc) => {
  it('masks secrets in every response and keeps them encrypted at rest and out of the logs', async () => {
    const created = await svc().request('POST', '/v1/nodes', {
      driver: 'redfish',
      name: 'secretive',
      driver_info: {
        redfish_address: 'http://127.0.0.1:8000',
        redfish_username: 'admin',
        redfish_password: PASSWORD,
        nested: { auth_token: PASSWORD },
      },
      instance_info: { image_source: 'http://img', image_url: `http://swift/tmp?sig=${PASSWORD}` },
    });
    expect(created.status).toBe(201);
    const responses = [
      created,
      await svc().request('GET', '/v1/nodes/secretive'),
      await svc().request('GET', '/v1/nodes/detail'),
      await svc().request('GET', '/v1/nodes?fields=driver_info,instance_info'),
      await svc().request('PATCH', '/v1/nodes/secretive', [
        { op: 'add', path: '/driver_info/ipmi_password', value: PASSWORD },
      ]),
    ];
    for (const res of responses) {
      expect(res.status).toBe(200 + (res === created ? 1 : 0));
      expect(res.text).not.toContain(PASSWORD);
    }
    const shown = responses[1]!.body;
    expect(shown.driver_info).toMatchObject({
      redfish_username: 'admin',
      redfish_password: '******',
      nested: { auth_token: '******' },
    });
    expect(shown.instance_info.image_url).toBe('******');

    const db = openDatabase(svc().db.url);
    try {
      const row = await db.knex('nodes').where({ name: 'secretive' }).first();
      // Credentials are sealed at rest; image_url is only masked on output, as in Ironic.
      expect(row.driver_info).not.toContain(PASSWORD);
      expect(JSON.parse(row.driver_info).redfish_password).toMatch(/^enc:v1:/);
      expect(JSON.parse(row.driver_info).redfish_username).toBe('admin');
    } finally {
      await db.close();
    }
    expect(svc().logs.join('')).not.toContain(PASSWORD);
  });

  it('lists nodes without decrypting their secrets: a sealed value no key opens is still listed masked', async () => {
    await svc().request('POST', '/v1/nodes', {
      driver: 'ipmi',
      name: 'sealed-elsewhere',
      driver_info: { ipmi_address: '127.0.0.1', ipmi_password: PASSWORD },
    });
    const db = openDatabase(svc().db.url);
    try {
      // As if sealed under another key: opening it would fail, so a list that opened secrets could not answer.
      const row = await db.knex('nodes').where({ name: 'sealed-elsewhere' }).first();
      const info = { ...JSON.parse(row.driver_info), ipmi_password: 'enc:v1:bm90LWEtc2VhbGVkLXZhbHVl' };
      await db
        .knex('nodes')
        .where({ name: 'sealed-elsewhere' })
        .update({ driver_info: JSON.stringify(info) });
    } finally {
      await db.close();
    }
    for (const path of ['/v1/nodes/detail?name=sealed-elsewhere', '/v1/nodes?fields=name,driver_info']) {
      const res = await svc().request('GET', path);
      expect(res.status, path).toBe(200);
      const listed = (res.body.nodes as Array<{ name: string; driver_info: Record<string, unknown> }>).find(
        (n) => n.name === 'sealed-elsewhere',
      );
      expect(listed?.driver_info, path).toEqual({ ipmi_address: '127.0.0.1', ipmi_password: '******' });
    }
  });

  it('keeps the clear secret usable inside the service: a PATCH on a sibling key preserves it', async () => {
    await svc().request('POST', '/v1/nodes', {
      driver: 'ipmi',
      name: 'keeps-secret',
      driver_info: { ipmi_address: '127.0.0.1', ipmi_password: PASSWORD },
    });
    await svc().request('PATCH', '/v1/nodes/keeps-secret', [
      { op: 'add', path: '/driver_info/ipmi_port', value: 6230 },
    ]);
    const db = openDatabase(svc().db.url);
    try {
      const row = await db.knex('nodes').where({ name: 'keeps-secret' }).first();
      const sealed = JSON.parse(row.driver_info).ipmi_password as string;
      expect(sealed).toMatch(/^enc:v1:/);
      // The same key opens it again: the value was carried over, not replaced by the mask.
      const { SecretBox } = await import('../../../services/secrets/index.js');
      expect(SecretBox.load(null, svc().dataDir).openValue(sealed)).toBe(PASSWORD);
    } finally {
      await db.close();
    }
  });
});

describeOnEngines('observability', (svc) => {
  it('answers /healthz', async () => {
    const res = await svc().request('GET', '/healthz', undefined, null);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('exports request durations by route and nodes by provision state', async () => {
    await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'metered' });
    await svc().request('GET', '/v1/nodes/metered');
    const res = await svc().request('GET', '/metrics', undefined, null);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(
      /anvil_http_request_duration_seconds_count\{method="GET",route="\/v1\/nodes\/:ident",status="200"\} \d+/,
    );
    expect(res.text).toMatch(/anvil_nodes\{provision_state="enroll"\} 1/);
  });

  it('logs JSON lines carrying the request id', async () => {
    const res = await svc().request('GET', '/v1/nodes');
    const id = res.headers.get('x-openstack-request-id');
    const line = svc()
      .logs.flatMap((chunk) => chunk.split('\n'))
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { req?: { id?: string } })
      .find((l) => l.req?.id === id);
    expect(line).toBeDefined();
  });
});
