import { expect, it } from 'vitest';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

type Body = Record<string, any>;

/** An available fake-hardware host with a port, carrying `labels` in its extra. */
async function availableHost(svc: TestService, name: string, mac: string, labels: Record<string, string>) {
  const created = await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', name, extra: labels });
  expect(created.status, created.text).toBe(201);
  const uuid = created.body.uuid as string;
  expect((await svc.request('POST', '/v1/ports', { node_uuid: uuid, address: mac })).status).toBe(201);
  for (const [target, state] of [
    ['manage', 'manageable'],
    ['provide', 'available'],
  ] as const) {
    expect((await svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, { target })).status).toBe(202);
    await eventually(
      () => svc.request('GET', `/v1/nodes/${uuid}`),
      (r) => r.body.provision_state === state && r.body.reservation === null,
    );
  }
  return uuid;
}

function machine(name: string, spec: Body = {}): Body {
  return {
    name,
    spec: {
      cluster: 'c1',
      role: 'worker',
      host_selector: { match_labels: { rack: 'r1' } },
      image: {
        url: 'http://127.0.0.1:1/os.img',
        checksum: 'ab'.repeat(32),
        checksum_type: 'sha256',
        disk_format: 'raw',
      },
      user_data: '#cloud-config\n',
      data_template: { networks: [{ pool: 'machines-v4' }], meta_data: { rack: 'r1' } },
      ...spec,
    },
  };
}

async function phaseOf(svc: TestService, name: string, phase: string, ms = 15_000): Promise<Body> {
  const res = await eventually(
    () => svc.request('GET', `/v1/anvil/machines/${name}`),
    (r) => r.status === 200 && r.body.status.phase === phase,
    ms,
  );
  return res.body as Body;
}

describeOnEngines('Cluster API machines (/v1/anvil/machines)', (svc) => {
  it('claims a host by selector and failure domain, provisions it, and gives it back on delete', async () => {
    const pool = await svc().request('POST', '/v1/ipam/pools', {
      name: 'machines-v4',
      ranges: [{ subnet: '192.0.2.0/24' }],
      gateway: '192.0.2.1',
    });
    expect(pool.status, pool.text).toBe(201);
    const inA = await availableHost(svc(), 'm-host-a', '52:54:00:00:cc:01', { rack: 'r1', failure_domain: 'a' });
    await availableHost(svc(), 'm-host-b', '52:54:00:00:cc:02', { rack: 'r2', failure_domain: 'a' });

    const body = machine('worker-0', { failure_domain: 'a' });
    const created = await svc().request('POST', '/v1/anvil/machines', body);
    expect(created.status, created.text).toBe(201);
    expect(created.body.status.phase).toBe('pending');
    // Bootstrap data carries join tokens: never shown back.
    expect(created.body.spec.user_data).toBe('******');
    // Idempotent by name: the same spec answers the same machine, another one 409.
    const again = await svc().request('POST', '/v1/anvil/machines', body);
    expect(again.status).toBe(200);
    expect(again.body.uuid).toBe(created.body.uuid);
    const other = await svc().request('POST', '/v1/anvil/machines', machine('worker-0', { cluster: 'c2' }));
    expect(other.status).toBe(409);
    expect(faultOf(other)).toContain('different spec');

    const provisioned = await phaseOf(svc(), 'worker-0', 'provisioned');
    expect(provisioned.status.node_uuid).toBe(inA);
    expect(provisioned.status.provider_id).toBe(`anvil://${inA}`);
    expect(provisioned.status.ready).toBe(true);
    const ips = provisioned.status.addresses.filter((a: Body) => a.type === 'InternalIP');
    expect(ips).toHaveLength(1);
    expect(ips[0].address).toMatch(/^192\.0\.2\.\d+$/);
    expect(provisioned.status.addresses).toEqual(
      expect.arrayContaining([
        { type: 'Hostname', address: 'worker-0' },
        { type: 'InternalDNS', address: 'worker-0' },
      ]),
    );
    expect(Object.keys(provisioned.status.phase_times)).toEqual(
      expect.arrayContaining(['pending', 'provisioning', 'provisioned']),
    );
    const node = (await svc().request('GET', `/v1/nodes/${inA}`)).body;
    expect(node.instance_uuid).toBe(created.body.uuid);
    expect(node.instance_info.image_source).toBe('http://127.0.0.1:1/os.img');
    expect(node.instance_info.image_os_hash_algo).toBe('sha256');

    // A host matches the selector, but none is in the asked failure domain: pending, with the reason.
    const inZ = machine('worker-z', { host_selector: { match_labels: { rack: 'r2' } }, failure_domain: 'z' });
    expect((await svc().request('POST', '/v1/anvil/machines', inZ)).status).toBe(201);
    const waiting = await eventually(
      () => svc().request('GET', '/v1/anvil/machines/worker-z'),
      (r) => r.body.status.failure_message !== null,
    );
    expect(waiting.body.status.phase).toBe('pending');
    expect(waiting.body.status.failure_message).toBe('no host in failure domain z');

    // One machine a page: following `next` to the end sees every machine exactly once, in id order.
    const all = (await svc().request('GET', '/v1/anvil/machines?limit=100')).body.machines as Body[];
    expect(all.map((m) => m.name).sort()).toEqual(['worker-0', 'worker-z']);
    const paged: string[] = [];
    let pages = 0;
    for (let path: string | null = '/v1/anvil/machines?limit=1'; path !== null; pages++) {
      // A full last page links to an empty one, as Ironic's do; no more than that.
      expect(pages, 'next links past the end').toBeLessThanOrEqual(all.length);
      const page = await svc().request('GET', path);
      expect(page.status, page.text).toBe(200);
      expect(page.body.machines.length).toBeLessThanOrEqual(1);
      paged.push(...page.body.machines.map((m: Body) => m.uuid));
      const next = page.body.next as string | undefined;
      path = next === undefined ? null : new URL(next).pathname + new URL(next).search;
    }
    expect(paged).toEqual(all.map((m) => m.uuid));
    // Every list item masks the bootstrap data too.
    expect(all.map((m) => m.spec.user_data)).toEqual(all.map(() => '******'));
    expect((await svc().request('GET', '/v1/anvil/machines?cluster=c1&phase=provisioned')).body.machines).toHaveLength(
      1,
    );

    const deleted = await svc().request('DELETE', '/v1/anvil/machines/worker-0');
    expect(deleted.status).toBe(202);
    await eventually(
      () => svc().request('GET', '/v1/anvil/machines/worker-0'),
      (r) => r.status === 404,
      15_000,
    );
    const freed = (await svc().request('GET', `/v1/nodes/${inA}`)).body;
    expect(freed.provision_state).toBe('available');
    expect(freed.instance_uuid).toBeNull();
    expect(freed.extra['anvil.last_cluster']).toBe('c1');
    expect(freed.extra['anvil.last_role']).toBe('worker');
    expect((await svc().request('GET', `/v1/ipam/addresses?owner=node:${inA}`)).body.addresses).toEqual([]);
    expect((await svc().request('DELETE', '/v1/anvil/machines/worker-z')).status).toBe(202);
  });

  it('is followed from the change feed alone: machine phases, hosts and node instance_uuid agree with a final listing', async () => {
    await availableHost(svc(), 'm-host-f1', '52:54:00:00:cc:11', { rack: 'rf' });
    await availableHost(svc(), 'm-host-f2', '52:54:00:00:cc:12', { rack: 'rf' });
    const selector = { host_selector: { match_labels: { rack: 'rf' } }, data_template: undefined };
    for (const name of ['feed-0', 'feed-1']) {
      expect((await svc().request('POST', '/v1/anvil/machines', machine(name, selector))).status).toBe(201);
    }
    await phaseOf(svc(), 'feed-0', 'provisioned');
    await phaseOf(svc(), 'feed-1', 'provisioned');
    expect((await svc().request('DELETE', '/v1/anvil/machines/feed-1')).status).toBe(202);
    await eventually(
      () => svc().request('GET', '/v1/anvil/machines/feed-1'),
      (r) => r.status === 404,
      15_000,
    );

    // Replay the whole feed, page by page, keeping only the latest state of each object.
    const machines = new Map<string, Body>();
    const nodes = new Map<string, Body>();
    let since: string | null = null;
    for (let page = 0; page < 200; page++) {
      const res = await svc().request('GET', `/v1/anvil/events?limit=100${since === null ? '' : `&since=${since}`}`);
      expect(res.status, res.text).toBe(200);
      for (const e of res.body.events as Body[]) {
        const into = e.kind === 'machine' ? machines : e.kind === 'node' ? nodes : null;
        if (into === null) continue;
        if (e.action === 'deleted') into.delete(e.uuid);
        else into.set(e.uuid, e.data);
      }
      since = res.body.cursor;
      if (res.body.next === undefined) break;
    }
    const listed = (await svc().request('GET', '/v1/anvil/machines?limit=1000')).body.machines as Body[];
    expect([...machines.values()].map((m) => [m.name, m.phase, m.node_uuid]).sort()).toEqual(
      listed.map((m) => [m.name, m.status.phase, m.status.node_uuid]).sort(),
    );
    expect(machines.has((listed.find((m) => m.name === 'feed-0') as Body).uuid)).toBe(true);
    for (const m of listed.filter((x) => x.status.node_uuid !== null)) {
      expect(nodes.get(m.status.node_uuid)?.instance_uuid).toBe(m.uuid);
      expect(nodes.get(m.status.node_uuid)?.provision_state).toBe('active');
    }
  });

  it('leaves a paused machine alone until it is resumed', async () => {
    await availableHost(svc(), 'm-host-p', '52:54:00:00:cc:03', { rack: 'rp' });
    const paused = machine('paused-0', { host_selector: { match_labels: { rack: 'rp' } }, paused: true });
    expect((await svc().request('POST', '/v1/anvil/machines', paused)).status).toBe(201);
    await new Promise((r) => setTimeout(r, 1000));
    const still = (await svc().request('GET', '/v1/anvil/machines/paused-0')).body;
    expect(still.status.phase).toBe('pending');
    expect(still.status.node_uuid).toBeNull();
    const resumed = await svc().request('PATCH', '/v1/anvil/machines/paused-0', [
      { op: 'replace', path: '/spec/paused', value: false },
    ]);
    expect(resumed.status, resumed.text).toBe(200);
    await phaseOf(svc(), 'paused-0', 'provisioned');
    const refused = await svc().request('PATCH', '/v1/anvil/machines/paused-0', [
      { op: 'replace', path: '/spec/cluster', value: 'other' },
    ]);
    expect(refused.status).toBe(400);
    expect(faultOf(refused)).toContain('/spec/paused');

    // Paused, a deleted machine stays on its way out: the same create is a conflict, not the old machine.
    const leaving = machine('paused-del', { host_selector: { match_labels: { rack: 'none' } }, paused: true });
    expect((await svc().request('POST', '/v1/anvil/machines', leaving)).status).toBe(201);
    expect((await svc().request('DELETE', '/v1/anvil/machines/paused-del')).status).toBe(202);
    const recreated = await svc().request('POST', '/v1/anvil/machines', leaving);
    expect(recreated.status, recreated.text).toBe(409);
    expect(faultOf(recreated)).toBe('Machine paused-del is being deleted; create it again once it is gone.');
  });

  it('with node_reuse, gives a scaled-up machine the host its cluster and role held last', async () => {
    const hosts: string[] = [];
    for (let i = 0; i < 5; i++) {
      hosts.push(await availableHost(svc(), `reuse-${i}`, `52:54:00:00:cd:0${i}`, { rack: 'reuse' }));
    }
    const reuse = (name: string) =>
      machine(name, { cluster: 'reuse-c', host_selector: { match_labels: { rack: 'reuse' } }, node_reuse: true });
    const heldBy = async (names: string[]) => {
      for (const name of names)
        expect((await svc().request('POST', '/v1/anvil/machines', reuse(name))).status).toBe(201);
      const done = await Promise.all(names.map((n) => phaseOf(svc(), n, 'provisioned')));
      return done.map((m) => m.status.node_uuid as string).sort();
    };
    const first = await heldBy(['reuse-a', 'reuse-b']);
    for (const name of ['reuse-a', 'reuse-b']) {
      expect((await svc().request('DELETE', `/v1/anvil/machines/${name}`)).status).toBe(202);
    }
    for (const name of ['reuse-a', 'reuse-b']) {
      await eventually(
        () => svc().request('GET', `/v1/anvil/machines/${name}`),
        (r) => r.status === 404,
        15_000,
      );
    }
    for (const uuid of first) {
      expect((await svc().request('GET', `/v1/ipam/addresses?owner=node:${uuid}`)).body.addresses).toEqual([]);
    }
    // Three other hosts are free too: only the labels left on the last ones make these come back.
    expect(await heldBy(['reuse-c', 'reuse-d'])).toEqual(first);
    for (const uuid of first) {
      expect((await svc().request('GET', `/v1/ipam/addresses?owner=node:${uuid}`)).body.addresses).toHaveLength(1);
    }
  });

  it('refuses bad input with a clear 400', async () => {
    const cases: [Body, string][] = [
      [
        machine('bad-op', {
          host_selector: { match_expressions: [{ key: 'rack', operator: 'Near', values: ['r1'] }] },
        }),
        'Unknown selector operator "Near"',
      ],
      [machine('bad-img', { image: { url: 'http://127.0.0.1:1/os.img' } }), 'An image needs a checksum'],
      [machine('bad-pool', { data_template: { networks: [{ pool: 'nowhere' }] } }), 'missing pool: nowhere'],
      [machine('Bad_Name'), 'DNS name'],
      [
        machine('bad-in', { host_selector: { match_expressions: [{ key: 'rack', operator: 'In' }] } }),
        'needs at least one value',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await svc().request('POST', '/v1/anvil/machines', body);
      expect(res.status, `${body.name}: ${res.text}`).toBe(400);
      expect(faultOf(res)).toContain(message);
    }
    expect((await svc().request('GET', '/v1/anvil/machines/bad-pool')).status).toBe(404);
    expect((await svc().request('GET', '/v1/anvil/machines?phase=sleeping')).status).toBe(400);
  });
});
