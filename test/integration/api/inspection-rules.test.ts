import { expect, it } from 'vitest';
import { describeOnEngines, faultOf, type TestService } from '../../support/service.js';

const V = '1.96';

const BIG_MEMORY = {
  description: 'Big machines',
  priority: 50,
  conditions: [{ op: 'gt', args: { values: ['{inventory[memory][physical_mb]}', 4096] } }],
  actions: [
    { op: 'add-trait', args: { name: 'CUSTOM_BIG' } },
    { op: 'set-attribute', args: { path: '/properties/memory_class', value: 'big' } },
  ],
};

async function create(svc: TestService, body: unknown, version = V) {
  return svc.request('POST', '/v1/inspection_rules', body, version);
}

function expectInvalid(res: { status: number; text: string }, message: string) {
  expect(res.status, res.text).toBe(400);
  expect(faultOf(res as Parameters<typeof faultOf>[0])).toBe(message);
}

describeOnEngines('inspection rules (API 1.96)', (svc) => {
  it('creates a rule, answers 201 with a Location, and shows it whole by uuid', async () => {
    const res = await create(svc(), BIG_MEMORY);
    expect(res.status, res.text).toBe(201);
    const uuid = res.body.uuid as string;
    expect(res.headers.get('location')).toMatch(new RegExp(`/v1/inspection_rules/${uuid}$`));
    expect(res.body).toMatchObject({
      ...BIG_MEMORY,
      phase: 'main',
      sensitive: false,
      updated_at: null,
    });
    expect(Date.parse(res.body.created_at as string)).not.toBeNaN();
    expect(res.body.links).toEqual([
      { href: `${svc().url}/v1/inspection_rules/${uuid}`, rel: 'self' },
      { href: `${svc().url}/inspection_rules/${uuid}`, rel: 'bookmark' },
    ]);
    const shown = await svc().request('GET', `/v1/inspection_rules/${uuid}`, undefined, V);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual(res.body);
    const bookmark = await svc().request('GET', `/inspection_rules/${uuid}`, undefined, V);
    expect(bookmark.body).toEqual(res.body);
  });

  it('keeps a uuid given on creation and refuses it a second time with 409', async () => {
    const uuid = '0f3e4c8a-9a1b-4c2d-8e7f-123456789abc';
    const first = await create(svc(), { uuid, actions: [{ op: 'log', args: { msg: 'hello' } }] });
    expect(first.status, first.text).toBe(201);
    expect(first.body.uuid).toBe(uuid);
    const again = await create(svc(), { uuid, actions: [{ op: 'log', args: { msg: 'again' } }] });
    expect(again.status).toBe(409);
    expect(faultOf(again)).toBe(`A rule with UUID ${uuid} already exists.`);
  });

  it('stores conditions and actions as Ironic shows them: a loop only when it has items, multiple only with one', async () => {
    const res = await create(svc(), {
      conditions: [
        { op: '!eq', args: { values: [1, 2] }, multiple: 'all', loop: [] },
        { op: 'contains', args: ['{item}', 'x'], loop: ['a', 'b'] },
      ],
      actions: [{ op: 'log', args: ['{item}', 'debug'], loop: ['a'] }],
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.conditions).toEqual([
      { op: '!eq', args: { values: [1, 2] } },
      { op: 'contains', args: ['{item}', 'x'], loop: ['a', 'b'], multiple: 'any' },
    ]);
    expect(res.body.actions).toEqual([{ op: 'log', args: ['{item}', 'debug'], loop: ['a'] }]);
  });

  it('refuses what Ironic’s schema refuses, in its words', async () => {
    const action = { op: 'log', args: { msg: 'x' } };
    const cases: [unknown, string][] = [
      [{}, "Schema error: 'actions' is a required property"],
      [{ actions: [] }, 'Schema error: [] should be non-empty'],
      [{ actions: 'x' }, "Schema error: 'x' is not of type 'array'"],
      [{ actions: [{ op: 'reboot', args: {} }] }, "Schema error: 'reboot' is not one of ['fail', 'log', "],
      [{ actions: [{ op: 'log' }] }, "Schema error: 'args' is a required property"],
      [{ actions: [{ op: 'log', args: 'x' }] }, "Schema error: 'x' is not of type 'array', 'object'"],
      [
        { actions: [action], conditions: [{ op: 'eq', args: {}, multiple: 'some' }] },
        "Schema error: 'some' is not one of ['any', 'all', 'first', 'last']",
      ],
      [{ actions: [action], priority: -1 }, 'Schema error: -1 is less than the minimum of 0'],
      [{ actions: [action], priority: 'high' }, "Schema error: 'high' is not of type 'integer'"],
      [{ actions: [action], sensitive: 'yes' }, "Schema error: 'yes' is not of type 'boolean', 'null'"],
      [{ actions: [action], description: 'd'.repeat(256) }, 'is too long'],
      [
        { actions: [action], scope: 'x' },
        "Schema error: Additional properties are not allowed ('scope' was unexpected)",
      ],
    ];
    for (const [body, message] of cases) {
      const res = await create(svc(), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(faultOf(res)).toContain(message);
    }
  });

  it('refuses bad phases, priorities and operation arguments as Ironic’s validate_rule does, all in one message', async () => {
    expectInvalid(
      await create(svc(), { phase: 'early', actions: [{ op: 'log', args: { msg: 'x' } }] }),
      'Invalid phase: early. Valid phases are: main',
    );
    expectInvalid(
      await create(svc(), { priority: 10000, actions: [{ op: 'log', args: { msg: 'x' } }] }),
      'Priority must be between 0 and 9999 for user-defined rules.',
    );
    expectInvalid(
      await create(svc(), {
        conditions: [{ op: 'eq', args: { value: 1 } }],
        actions: [{ op: 'set-attribute', args: { path: '/extra/x' } }],
      }),
      'Multiple validation errors occurred: Invalid parameters for condition operator eq: missing required ' +
        'argument(s): values; unexpected argument(s): value; Invalid parameters for action operator ' +
        'set-attribute: missing required argument(s): value',
    );
  });

  it('refuses at once what it could not carry out during inspection', async () => {
    const refusals: [unknown, string][] = [
      [
        { op: 'set-attribute', args: { path: '/driver', value: 'idrac' } },
        "Invalid parameters for action operator set-attribute: Node attribute 'driver' cannot be changed by a rule; " +
          'these can: properties, extra, driver_info, instance_info, resource_class, description, owner, lessee, automated_clean',
      ],
      [
        { op: 'set-attribute', args: { path: 'properties', value: 'x' } },
        'Invalid parameters for action operator set-attribute: properties must be a dict, not str',
      ],
      [
        { op: 'add-trait', args: { name: 'big' } },
        "Invalid parameters for action operator add-trait: Invalid trait 'big'",
      ],
      [
        { op: 'log', args: { msg: 'x', level: 'loud' } },
        'Invalid parameters for action operator log: Invalid log level: loud. Choose from debug, info, warning, error, critical',
      ],
      [
        { op: 'api-call', args: { url: 'http://127.0.0.1:9/', proxies: { http: 'http://proxy:3128' } } },
        'Invalid parameters for action operator api-call: proxies are not supported by Anvil',
      ],
      [
        { op: 'api-call', args: { url: 'http://127.0.0.1:9/', timeout: 0 } },
        'Invalid parameters for action operator api-call: Invalid parameter: timeout must be greater than zero',
      ],
      [
        { op: 'set-port-attribute', args: { port_id: 'x', path: 'address', value: 'y' } },
        "Invalid parameters for action operator set-port-attribute: Port attribute 'address' cannot be changed",
      ],
      [
        { op: 'extend-attribute', args: { path: 'extra', value: 'y' } },
        'Invalid parameters for action operator extend-attribute: extra is not a list: it cannot be extended',
      ],
    ];
    for (const [action, message] of refusals) {
      const res = await create(svc(), { actions: [action] });
      expect(res.status, JSON.stringify(action)).toBe(400);
      expect(faultOf(res)).toContain(message);
    }
    const conditions: [unknown, string][] = [
      [
        { op: 'matches', args: { value: 'x', regex: '(unclosed' } },
        'Invalid parameters for condition operator matches: invalid regular expression: Unterminated group',
      ],
      [
        { op: 'in-net', args: { address: '{inventory[bmc_address]}', subnet: '10.0.0.0/33' } },
        'Invalid parameters for condition operator in-net: invalid value: invalid IPNetwork 10.0.0.0/33',
      ],
      [
        { op: 'lt', args: { values: 5 } },
        'Invalid parameters for condition operator lt: values must be a list, not int',
      ],
    ];
    for (const [condition, message] of conditions) {
      const res = await create(svc(), { conditions: [condition], actions: [{ op: 'log', args: { msg: 'x' } }] });
      expect(res.status, JSON.stringify(condition)).toBe(400);
      expect(faultOf(res)).toBe(message);
    }
    // A Python regex with a leading inline flag, a named group and a class starting with `]` is fine.
    const python = await create(svc(), {
      conditions: [{ op: 'contains', args: { value: 'x', regex: '(?i)(?P<vendor>dell)[]x]' } }],
      actions: [{ op: 'log', args: { msg: 'x' } }],
    });
    expect(python.status, python.text).toBe(201);
    // What a loop formats is known only at inspection: not refused here.
    const looped = await create(svc(), {
      actions: [{ op: 'set-attribute', args: { path: '{item[path]}', value: '{item[value]}' }, loop: [{}] }],
    });
    expect(looped.status, looped.text).toBe(201);
  });

  it('masks a sensitive rule’s conditions and actions in every answer', async () => {
    const res = await create(svc(), {
      ...BIG_MEMORY,
      description: 'BMC credentials',
      sensitive: true,
      actions: [{ op: 'set-attribute', args: { path: '/driver_info/redfish_password', value: 'hunter2' } }],
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ sensitive: true, conditions: null, actions: null });
    expect(res.text).not.toContain('hunter2');
    const uuid = res.body.uuid as string;
    const shown = await svc().request('GET', `/v1/inspection_rules/${uuid}`, undefined, V);
    expect(shown.body).toMatchObject({ sensitive: true, conditions: null, actions: null });
    const detail = await svc().request('GET', '/v1/inspection_rules?detail=true&limit=1000', undefined, V);
    const listed = (detail.body.inspection_rules as { uuid: string }[]).find((r) => r.uuid === uuid);
    expect(listed).toMatchObject({ sensitive: true, conditions: null, actions: null });
    expect(detail.text).not.toContain('hunter2');
    const patched = await svc().request(
      'PATCH',
      `/v1/inspection_rules/${uuid}`,
      [{ op: 'replace', path: '/priority', value: 60 }],
      V,
    );
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ priority: 60, conditions: null, actions: null });
    expect(patched.text).not.toContain('hunter2');
  });

  it('lists the default fields, detail, chosen fields, by phase, sorted and in pages with a next link', async () => {
    const made: string[] = [];
    for (const priority of [7001, 7003, 7002]) {
      const res = await create(svc(), { description: `paged ${priority}`, priority, actions: BIG_MEMORY.actions });
      expect(res.status, res.text).toBe(201);
      made.push(res.body.uuid as string);
    }
    const all = await svc().request('GET', '/v1/inspection_rules?limit=1000', undefined, V);
    expect(all.status, all.text).toBe(200);
    const one = (all.body.inspection_rules as { uuid: string }[]).find((r) => r.uuid === made[0]);
    expect(Object.keys(one!).sort()).toEqual(['description', 'links', 'phase', 'priority', 'uuid']);

    const detail = await svc().request('GET', '/v1/inspection_rules?detail=True&limit=1000', undefined, V);
    const full = (detail.body.inspection_rules as { uuid: string }[]).find((r) => r.uuid === made[0]);
    expect(full).toMatchObject({ actions: BIG_MEMORY.actions, conditions: [], sensitive: false });

    const fields = await svc().request('GET', '/v1/inspection_rules?fields=uuid,sensitive&limit=1000', undefined, V);
    expect(Object.keys(fields.body.inspection_rules[0]).sort()).toEqual(['links', 'sensitive', 'uuid']);

    const sorted = await svc().request(
      'GET',
      '/v1/inspection_rules?sort_key=priority&sort_dir=desc&limit=2&fields=uuid,priority',
      undefined,
      V,
    );
    expect(sorted.body.inspection_rules.map((r: { priority: number }) => r.priority)).toEqual([7003, 7002]);
    expect(sorted.body.next).toContain('/v1/inspection_rules?');
    expect(sorted.body.next).toContain(`marker=${made[2]}`);
    const next = new URL(sorted.body.next as string);
    const page2 = await svc().request('GET', `${next.pathname}${next.search}`, undefined, V);
    expect(page2.status, page2.text).toBe(200);
    expect(page2.body.inspection_rules[0]).toMatchObject({ uuid: made[0], priority: 7001 });

    const main = await svc().request('GET', '/v1/inspection_rules?phase=main&limit=1000', undefined, V);
    expect(main.body.inspection_rules.length).toBeGreaterThanOrEqual(3);
    const none = await svc().request('GET', '/v1/inspection_rules?phase=early', undefined, V);
    expect(none.body.inspection_rules).toEqual([]);
  });

  it('refuses bad list and show queries', async () => {
    const bad: [string, string][] = [
      ['/v1/inspection_rules?detail=true&fields=uuid', 'Can not specify ?detail=True and fields in the same request.'],
      ['/v1/inspection_rules?fields=uuid,scope', 'Field(s) "scope" are not valid'],
      ['/v1/inspection_rules?sort_key=actions', 'The sort_key value "actions" is an invalid field for sorting'],
      ['/v1/inspection_rules?sort_dir=up', "Invalid sort direction: up. Acceptable values are 'asc' or 'desc'"],
      ['/v1/inspection_rules?limit=0', 'Limit must be positive'],
      ['/v1/inspection_rules?owner=x', "Schema error: Additional properties are not allowed ('owner' was unexpected)"],
      ['/v1/inspection_rules/not-a-uuid', "Schema error: 'not-a-uuid' is not a 'uuid'"],
    ];
    for (const [path, message] of bad) {
      const res = await svc().request('GET', path, undefined, V);
      expectInvalid(res, message);
    }
    const missing = await svc().request(
      'GET',
      '/v1/inspection_rules/6d1f3a52-0d8e-4a57-9f54-0c1d2e3f4a5b',
      undefined,
      V,
    );
    expect(missing.status).toBe(404);
    expect(faultOf(missing)).toBe('Rule 6d1f3a52-0d8e-4a57-9f54-0c1d2e3f4a5b could not be found.');
    const marker = await svc().request(
      'GET',
      '/v1/inspection_rules?marker=6d1f3a52-0d8e-4a57-9f54-0c1d2e3f4a5b',
      undefined,
      V,
    );
    expect(marker.status).toBe(404);
  });

  it('patches a rule, checking the result as a new rule, and never unsets sensitive', async () => {
    const res = await create(svc(), BIG_MEMORY);
    const uuid = res.body.uuid as string;
    const path = `/v1/inspection_rules/${uuid}`;
    const patched = await svc().request(
      'PATCH',
      path,
      [
        { op: 'replace', path: '/description', value: 'Bigger machines' },
        { op: 'replace', path: '/priority', value: 75 },
        { op: 'replace', path: '/conditions/0/args/values/1', value: 8192 },
        { op: 'add', path: '/actions/-', value: { op: 'log', args: { msg: 'big: {node.uuid}' } } },
        { op: 'remove', path: '/actions/0' },
      ],
      V,
    );
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      description: 'Bigger machines',
      priority: 75,
      conditions: [{ op: 'gt', args: { values: ['{inventory[memory][physical_mb]}', 8192] } }],
      actions: [BIG_MEMORY.actions[1], { op: 'log', args: { msg: 'big: {node.uuid}' } }],
    });
    expect(patched.body.updated_at).not.toBeNull();
    expect((await svc().request('GET', path, undefined, V)).body).toEqual(patched.body);

    const refusals: [unknown, string][] = [
      [[{ op: 'replace', path: '/actions', value: [] }], 'Schema error for patch: [] should be non-empty'],
      [[{ op: 'remove', path: '/actions' }], "'/actions' is a mandatory attribute and can not be removed"],
      [[{ op: 'replace', path: '/phase', value: 'late' }], 'Invalid phase: late. Valid phases are: main'],
      [[{ op: 'replace', path: '/uuid', value: 'x' }], "'/uuid' is an internal attribute and can not be updated"],
      [
        [{ op: 'add', path: '/scope', value: 'x' }],
        'Adding a new attribute (/scope) to the root of the resource is not allowed.',
      ],
      [
        [{ op: 'move', from: '/actions/0', path: '/actions/1' }],
        "Schema error: 'move' is not one of ['add', 'replace', 'remove']",
      ],
      [
        [{ op: 'replace', path: '/actions/0/op', value: 'reboot' }],
        "Schema error for patch: 'reboot' is not one of ['fail', 'log',",
      ],
      [
        [{ op: 'replace', path: '/actions/0/args/path', value: '/name' }],
        "Invalid parameters for action operator set-attribute: Node attribute 'name' cannot be changed by a rule",
      ],
    ];
    for (const [patch, message] of refusals) {
      const refused = await svc().request('PATCH', path, patch, V);
      expect(refused.status, JSON.stringify(patch)).toBe(400);
      expect(faultOf(refused)).toContain(message);
    }
    expect((await svc().request('GET', path, undefined, V)).body).toEqual(patched.body);

    const sensitive = await svc().request('PATCH', path, [{ op: 'replace', path: '/sensitive', value: true }], V);
    expect(sensitive.status, sensitive.text).toBe(200);
    expect(sensitive.body).toMatchObject({ sensitive: true, actions: null });
    for (const patch of [
      [{ op: 'replace', path: '/sensitive', value: false }],
      [{ op: 'remove', path: '/sensitive' }],
    ]) {
      const unset = await svc().request('PATCH', path, patch, V);
      expectInvalid(unset, "Couldn't apply patch. Reason: Inspection rules cannot have the sensitive flag unset.");
    }
  });

  it('deletes a rule, which is then gone', async () => {
    const res = await create(svc(), BIG_MEMORY);
    const path = `/v1/inspection_rules/${res.body.uuid as string}`;
    const deleted = await svc().request('DELETE', path, undefined, V);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await svc().request('GET', path, undefined, V)).status).toBe(404);
    expect((await svc().request('DELETE', path, undefined, V)).status).toBe(404);
  });

  it('does not exist below 1.96: 404 to read, 405 to write, and is not listed in /v1', async () => {
    const res = await create(svc(), BIG_MEMORY);
    const path = `/v1/inspection_rules/${res.body.uuid as string}`;
    for (const [method, url, status] of [
      ['GET', '/v1/inspection_rules', 404],
      ['GET', path, 404],
      ['POST', '/v1/inspection_rules', 405],
      ['PATCH', path, 405],
      ['DELETE', path, 405],
    ] as const) {
      const old = await svc().request(method, url, method === 'GET' || method === 'DELETE' ? undefined : {}, '1.95');
      expect(old.status, `${method} ${url}`).toBe(status);
      expect(faultOf(old)).toBe('The API version does not allow inspection rules');
    }
    expect((await svc().request('GET', path, undefined, V)).status).toBe(200);
    expect((await svc().request('GET', '/v1/', undefined, '1.95')).body).not.toHaveProperty('inspection_rules');
    expect((await svc().request('GET', '/v1/', undefined, V)).body.inspection_rules[0].href).toBe(
      `${svc().url}/v1/inspection_rules/`,
    );
  });
});
