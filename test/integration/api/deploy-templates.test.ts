import { expect, it } from 'vitest';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

const V = '1.55';
const BIOS = { interface: 'bios', step: 'apply_configuration', args: { settings: [] }, priority: 10 };
const RAID = { interface: 'raid', step: 'create_configuration', args: {}, priority: 20 };

async function create(svc: TestService, body: Record<string, unknown>) {
  return svc.request('POST', '/v1/deploy_templates', body, V);
}

describeOnEngines('deploy templates', (svc) => {
  it('creates a template and shows it by uuid and by name, with links and a Location', async () => {
    const res = await create(svc(), { name: 'CUSTOM_SHOW', steps: [BIOS, RAID], extra: { owner: 'ops' } });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('location')).toMatch(new RegExp(`/v1/deploy_templates/${res.body.uuid}$`));
    expect(res.body).toMatchObject({
      name: 'CUSTOM_SHOW',
      steps: [BIOS, RAID],
      extra: { owner: 'ops' },
      updated_at: null,
    });
    expect(res.body.links).toHaveLength(2);
    expect(res.body.links[0].href).toContain(`/v1/deploy_templates/${res.body.uuid}`);
    const byName = await svc().request('GET', '/v1/deploy_templates/CUSTOM_SHOW', undefined, V);
    expect(byName.body).toEqual(res.body);
    const byUuid = await svc().request('GET', `/v1/deploy_templates/${res.body.uuid}`, undefined, V);
    expect(byUuid.body).toEqual(res.body);
  });

  it('keeps a uuid given on creation, an integer priority given as digits, and extra {} when none', async () => {
    const uuid = '6a2d9b0c-1c3e-4f5a-9b7d-2e8f0a1b2c3d';
    const res = await create(svc(), { uuid, name: 'CUSTOM_UUID', steps: [{ ...RAID, priority: '15' }] });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ uuid, extra: {}, steps: [{ ...RAID, priority: 15 }] });
  });

  it('refuses a name that is not a trait, a missing or null name, and missing, empty or malformed steps', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ name: 'invalid-name', steps: [BIOS] }, 'Deploy template name must be a valid trait'],
      [{ name: 'CUSTOM_' + 'X'.repeat(255), steps: [BIOS] }, 'name'],
      [{ name: null, steps: [BIOS] }, 'name'],
      [{ steps: [BIOS] }, 'name'],
      [{ name: 'CUSTOM_BAD' }, 'steps'],
      [{ name: 'CUSTOM_BAD', steps: { key: 'value' } }, 'steps'],
      [{ name: 'CUSTOM_BAD', steps: [] }, 'No deploy steps specified'],
      [{ name: 'CUSTOM_BAD', steps: [{ ...BIOS, interface: 'boot' }] }, 'steps/0/interface'],
      [{ name: 'CUSTOM_BAD', steps: [{ ...BIOS, priority: -1 }] }, 'steps/0/priority'],
      [{ name: 'CUSTOM_BAD', steps: [{ ...BIOS, priority: 1.5 }] }, 'steps/0/priority'],
      [{ name: 'CUSTOM_BAD', steps: [{ ...BIOS, step: '' }] }, 'steps/0/step'],
      [{ name: 'CUSTOM_BAD', steps: [{ ...BIOS, args: [] }] }, 'steps/0/args'],
      [{ name: 'CUSTOM_BAD', steps: [{ interface: 'bios', step: 'x', priority: 1 }] }, 'steps/0/args'],
      [{ name: 'CUSTOM_BAD', steps: [{ ...BIOS, extra: 1 }] }, 'Unknown attribute(s)'],
      [{ name: 'CUSTOM_BAD', steps: [BIOS], description: 'x' }, 'Unknown attribute(s)'],
      [{ name: 'CUSTOM_BAD', steps: [BIOS], uuid: 'malformed:uuid' }, 'uuid'],
      [{ name: 'CUSTOM_BAD', steps: [BIOS], extra: 'x' }, 'extra'],
    ];
    for (const [body, words] of bad) {
      const res = await create(svc(), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(faultOf(res)).toContain(words);
    }
    const notJson = await svc().request('POST', '/v1/deploy_templates', '{"name": ', V);
    expect(notJson.status).toBe(400);
    const list = await svc().request('GET', '/v1/deploy_templates?limit=1000', undefined, V);
    expect(list.body.deploy_templates.map((t: { name: string }) => t.name)).not.toContain('CUSTOM_BAD');
  });

  it('refuses two steps for the same interface and step, naming them', async () => {
    const res = await create(svc(), { name: 'CUSTOM_DUP', steps: [BIOS, RAID, { ...BIOS, priority: 30 }] });
    expect(res.status).toBe(400);
    expect(faultOf(res)).toBe(
      'Deploy template invalid: Duplicate deploy steps. A deploy template cannot have multiple deploy steps ' +
        'with the same interface and step. Duplicates: interface: bios, step: apply_configuration.',
    );
  });

  it('answers 409 for a name or a uuid already taken', async () => {
    const first = await create(svc(), { name: 'CUSTOM_TAKEN', steps: [BIOS] });
    const sameName = await create(svc(), { name: 'CUSTOM_TAKEN', steps: [RAID] });
    expect(sameName.status).toBe(409);
    expect(faultOf(sameName)).toBe('A deploy template with name CUSTOM_TAKEN already exists.');
    const sameUuid = await create(svc(), { uuid: first.body.uuid, name: 'CUSTOM_TAKEN_2', steps: [BIOS] });
    expect(sameUuid.status).toBe(409);
    expect(faultOf(sameUuid)).toBe(`A deploy template with UUID ${first.body.uuid} already exists.`);
  });

  it('masks passwords in step arguments', async () => {
    const steps = [{ ...BIOS, args: { settings: [], admin_password: 'hunter2' } }];
    const res = await create(svc(), { name: 'CUSTOM_SECRET', steps });
    expect(res.body.steps[0].args).toEqual({ settings: [], admin_password: '******' });
    const shown = await svc().request('GET', '/v1/deploy_templates/CUSTOM_SECRET', undefined, V);
    expect(shown.text).not.toContain('hunter2');
    const test = await svc().request(
      'PATCH',
      '/v1/deploy_templates/CUSTOM_SECRET',
      [{ op: 'test', path: '/steps/0/args/admin_password', value: 'hunter2' }],
      V,
    );
    expect(test.status).toBe(400);
  });

  it('lists uuid and name, everything with detail, the fields asked for, and pages with a next link', async () => {
    for (const n of ['CUSTOM_PAGE_A', 'CUSTOM_PAGE_B', 'CUSTOM_PAGE_C'])
      await create(svc(), { name: n, steps: [BIOS] });
    const list = await svc().request('GET', '/v1/deploy_templates', undefined, V);
    expect(list.status).toBe(200);
    const a = list.body.deploy_templates.find((t: { name: string }) => t.name === 'CUSTOM_PAGE_A');
    expect(Object.keys(a).sort()).toEqual(['links', 'name', 'uuid']);
    for (const path of ['/v1/deploy_templates?detail=True', '/v1/deploy_templates/detail']) {
      const detail = await svc().request('GET', path, undefined, V);
      const d = detail.body.deploy_templates.find((t: { name: string }) => t.name === 'CUSTOM_PAGE_A');
      expect(d).toMatchObject({ steps: [BIOS], extra: {} });
      expect(d.created_at).toEqual(expect.any(String));
    }
    const fields = await svc().request('GET', '/v1/deploy_templates?fields=name,steps', undefined, V);
    expect(Object.keys(fields.body.deploy_templates[0]).sort()).toEqual(['links', 'name', 'steps']);
    const one = await svc().request('GET', '/v1/deploy_templates/CUSTOM_PAGE_A?fields=uuid', undefined, V);
    expect(Object.keys(one.body).sort()).toEqual(['links', 'uuid']);

    const page = await svc().request('GET', '/v1/deploy_templates?sort_key=name&limit=2', undefined, V);
    const names = page.body.deploy_templates.map((t: { name: string }) => t.name);
    expect(names).toEqual([...names].sort());
    expect(names).toHaveLength(2);
    const last = page.body.deploy_templates[1].uuid as string;
    expect(page.body.next).toContain(`marker=${last}`);
    const nextPath = new URL(page.body.next as string).pathname + new URL(page.body.next as string).search;
    const rest = await svc().request('GET', nextPath, undefined, V);
    expect(rest.body.deploy_templates[0].name > names[1]).toBe(true);
    const desc = await svc().request('GET', '/v1/deploy_templates?sort_key=name&sort_dir=desc', undefined, V);
    const descNames = desc.body.deploy_templates.map((t: { name: string }) => t.name);
    expect(descNames).toEqual([...descNames].sort().reverse());
  });

  it('refuses detail with fields, unknown fields, and sorting by steps or extra', async () => {
    for (const query of ['detail=True&fields=name', 'fields=nope', 'sort_key=steps', 'sort_key=extra', 'limit=0']) {
      const res = await svc().request('GET', `/v1/deploy_templates?${query}`, undefined, V);
      expect(res.status, query).toBe(400);
    }
    const marker = await svc().request(
      'GET',
      '/v1/deploy_templates?marker=7b1f7a56-31a1-4d5f-8c6b-0d3e2f1a9b8c',
      undefined,
      V,
    );
    expect(marker.status).toBe(404);
  });

  it('replaces the name and the steps, adds and changes single steps, and bumps updated_at', async () => {
    const { body: t } = await create(svc(), { name: 'CUSTOM_PATCH', steps: [BIOS] });
    const patch = async (ops: unknown[]) => svc().request('PATCH', `/v1/deploy_templates/${t.uuid}`, ops, V);

    const renamed = await patch([
      { op: 'replace', path: '/name', value: 'CUSTOM_PATCHED' },
      { op: 'replace', path: '/steps', value: [RAID] },
    ]);
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'CUSTOM_PATCHED', steps: [RAID] });
    expect(renamed.body.updated_at).toEqual(expect.any(String));

    const added = await patch([
      { op: 'add', path: '/steps/1', value: BIOS },
      { op: 'replace', path: '/steps/0/priority', value: 50 },
      { op: 'add', path: '/extra/team', value: 'infra' },
    ]);
    expect(added.status, added.text).toBe(200);
    expect(added.body).toMatchObject({ steps: [{ ...RAID, priority: 50 }, BIOS], extra: { team: 'infra' } });

    const mixed = await patch([
      { op: 'replace', path: '/steps/0', value: { ...BIOS, step: 'factory_reset' } },
      { op: 'remove', path: '/steps/1' },
      { op: 'remove', path: '/extra' },
    ]);
    expect(mixed.body).toMatchObject({ steps: [{ ...BIOS, step: 'factory_reset' }], extra: {} });
    const shown = await svc().request('GET', '/v1/deploy_templates/CUSTOM_PATCHED', undefined, V);
    expect(shown.body.steps).toEqual([{ ...BIOS, step: 'factory_reset' }]);
  });

  it('refuses a patch leaving an invalid template, and writes nothing', async () => {
    const { body: t } = await create(svc(), { name: 'CUSTOM_KEEP', steps: [BIOS] });
    const bad: [unknown[], number, string][] = [
      [[{ op: 'remove', path: '/steps/0' }], 400, 'No deploy steps specified'],
      [[{ op: 'remove', path: '/steps' }], 400, 'mandatory attribute'],
      [[{ op: 'remove', path: '/name' }], 400, 'mandatory attribute'],
      [[{ op: 'replace', path: '/name', value: '' }], 400, 'valid trait'],
      [[{ op: 'replace', path: '/name', value: 'lower_case' }], 400, 'valid trait'],
      [[{ op: 'add', path: '/steps/1', value: { ...BIOS, priority: 99 } }], 400, 'Duplicate deploy steps'],
      [[{ op: 'replace', path: '/steps/0/interface', value: 'boot' }], 400, 'interface'],
      [[{ op: 'replace', path: '/steps/0/priority', value: -3 }], 400, 'priority'],
      [[{ op: 'add', path: '/steps/0/other', value: 1 }], 400, 'Unknown attribute(s)'],
      [[{ op: 'replace', path: '/uuid', value: '6a2d9b0c-1c3e-4f5a-9b7d-2e8f0a1b2c3e' }], 400, 'uuid'],
      [[{ op: 'add', path: '/description', value: 'x' }], 400, 'description'],
    ];
    for (const [ops, status, words] of bad) {
      const res = await svc().request('PATCH', `/v1/deploy_templates/${t.uuid}`, ops, V);
      expect(res.status, JSON.stringify(ops)).toBe(status);
      expect(faultOf(res)).toContain(words);
    }
    await create(svc(), { name: 'CUSTOM_OTHER', steps: [BIOS] });
    const clash = await svc().request(
      'PATCH',
      `/v1/deploy_templates/${t.uuid}`,
      [{ op: 'replace', path: '/name', value: 'CUSTOM_OTHER' }],
      V,
    );
    expect(clash.status).toBe(409);
    expect(faultOf(clash)).toBe('A deploy template with name CUSTOM_OTHER already exists.');
    const after = await svc().request('GET', `/v1/deploy_templates/${t.uuid}`, undefined, V);
    expect(after.body).toMatchObject({ name: 'CUSTOM_KEEP', steps: [BIOS], updated_at: null });
  });

  it('answers a patch that changes nothing with the template as it was', async () => {
    const { body: t } = await create(svc(), { name: 'CUSTOM_SAME', steps: [BIOS] });
    const res = await svc().request(
      'PATCH',
      `/v1/deploy_templates/${t.uuid}`,
      [{ op: 'replace', path: '/steps/0/priority', value: BIOS.priority }],
      V,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual(t);
  });

  it('keeps every step when patches of one template race', async () => {
    const { body: t } = await create(svc(), { name: 'CUSTOM_RACE', steps: [BIOS] });
    const extra = [
      { interface: 'bios', step: 'factory_reset', args: {}, priority: 1 },
      { interface: 'raid', step: 'delete_configuration', args: {}, priority: 2 },
      { interface: 'deploy', step: 'erase_devices', args: {}, priority: 3 },
      { interface: 'management', step: 'clear_job_queue', args: {}, priority: 4 },
    ];
    const results = await Promise.all(
      extra.map((s) =>
        svc().request('PATCH', `/v1/deploy_templates/${t.uuid}`, [{ op: 'add', path: '/steps/-', value: s }], V),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const after = await svc().request('GET', `/v1/deploy_templates/${t.uuid}`, undefined, V);
    expect(after.body.steps).toHaveLength(5);
  });

  it('deletes by name or uuid; the template is then gone', async () => {
    const { body: t } = await create(svc(), { name: 'CUSTOM_GONE', steps: [BIOS, RAID] });
    expect((await svc().request('DELETE', '/v1/deploy_templates/CUSTOM_GONE', undefined, V)).status).toBe(204);
    const gone = await svc().request('GET', `/v1/deploy_templates/${t.uuid}`, undefined, V);
    expect(gone.status).toBe(404);
    expect(faultOf(gone)).toBe(`Deploy template ${t.uuid} could not be found.`);
    expect((await svc().request('DELETE', `/v1/deploy_templates/${t.uuid}`, undefined, V)).status).toBe(404);
    // Its name is free again, with a fresh set of steps.
    const again = await create(svc(), { name: 'CUSTOM_GONE', steps: [BIOS, RAID] });
    expect(again.status).toBe(201);
    expect(again.body.steps).toEqual([BIOS, RAID]);
  });

  it('answers 404 for an unknown template and 400 for an ident that is neither name nor uuid', async () => {
    expect((await svc().request('GET', '/v1/deploy_templates/CUSTOM_NEVER', undefined, V)).status).toBe(404);
    expect((await svc().request('GET', '/v1/deploy_templates/no%20such', undefined, V)).status).toBe(400);
  });

  it('is hidden below API 1.55: 404 to reads, 405 to writes, no link in the v1 document', async () => {
    expect((await svc().request('GET', '/v1/deploy_templates', undefined, '1.54')).status).toBe(404);
    expect((await svc().request('GET', '/v1/deploy_templates/CUSTOM_SHOW', undefined, '1.54')).status).toBe(404);
    const post = await svc().request('POST', '/v1/deploy_templates', { name: 'CUSTOM_OLD', steps: [BIOS] }, '1.54');
    expect(post.status).toBe(405);
    expect((await svc().request('DELETE', '/v1/deploy_templates/CUSTOM_SHOW', undefined, '1.54')).status).toBe(405);
    expect((await svc().request('GET', '/v1', undefined, '1.54')).body.deploy_templates).toBeUndefined();
    const v1 = await svc().request('GET', '/v1', undefined, V);
    expect(v1.body.deploy_templates[0].href).toMatch(/\/v1\/deploy_templates\/$/);
  });

  it('refuses a deployment whose instance traits name a template, whose steps are not run yet; deploys without them', async () => {
    const made = await svc().request('POST', '/v1/deploy_templates', { name: 'CUSTOM_RAID10', steps: [BIOS] }, V);
    expect(made.status, made.text).toBe(201);
    const node = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'tmpl-deploy' })).body;
    const goal = async (target: string, state: string) => {
      expect((await svc().request('PUT', `/v1/nodes/${node.uuid}/states/provision`, { target })).status).toBe(202);
      await eventually(
        () => svc().request('GET', `/v1/nodes/${node.uuid}`),
        (r) => r.body.provision_state === state && r.body.reservation === null,
        10_000,
      );
    };
    await goal('manage', 'manageable');
    await goal('provide', 'available');
    const traits = (value: string[]) =>
      svc().request('PATCH', `/v1/nodes/${node.uuid}`, [{ op: 'add', path: '/instance_info/traits', value }]);
    expect((await traits(['CUSTOM_RAID10', 'CUSTOM_GPU'])).status).toBe(200);
    const refused = await svc().request('PUT', `/v1/nodes/${node.uuid}/states/provision`, { target: 'active' });
    expect(refused.status).toBe(400);
    expect(faultOf(refused)).toContain('name deploy templates (CUSTOM_RAID10)');
    expect((await svc().request('GET', `/v1/nodes/${node.uuid}`)).body.provision_state).toBe('available');
    expect((await traits(['CUSTOM_GPU'])).status).toBe(200);
    await goal('active', 'active');
  });
});
