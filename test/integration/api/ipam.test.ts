import { expect, it } from 'vitest';
import { describeOnEngines, faultOf, type TestService } from '../../support/service.js';

const pool = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  gateway: '192.0.2.1',
  dns_servers: ['192.0.2.53'],
  ranges: [{ subnet: '192.0.2.0/24' }],
  ...extra,
});

async function count(svc: TestService, what: string): Promise<number> {
  const res = await svc.request('GET', what);
  return (res.body.pools ?? res.body.claims ?? res.body.addresses).length;
}

describeOnEngines('IPAM API', (svc) => {
  it('creates a pool (201) and shows it with usage counts', async () => {
    const res = await svc().request('POST', '/v1/ipam/pools', pool('prov', { excluded: ['192.0.2.2-192.0.2.9'] }));
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('location')).toBe('/v1/ipam/pools/prov');
    expect(res.body).toMatchObject({
      name: 'prov',
      family: 'ipv4',
      allocation_strategy: 'sequential',
      gateway: '192.0.2.1',
      dns_servers: ['192.0.2.53'],
      ranges: [
        {
          start: '192.0.2.1',
          end: '192.0.2.254',
          subnet: '192.0.2.0/24',
          prefix: null,
          gateway: null,
          dns_servers: null,
        },
      ],
      excluded: ['192.0.2.2-192.0.2.9'],
      pre_allocations: {},
      usage: { size: 245, allocated: 0, free: 245 },
    });
    const shown = await svc().request('GET', `/v1/ipam/pools/${res.body.uuid}`);
    expect(shown.body.name).toBe('prov');
    expect((await svc().request('POST', '/v1/ipam/pools', pool('prov'))).status).toBe(409);
  });

  it('claims an address (201), answers the same claim again (200), shows, lists and releases it', async () => {
    await svc().request('POST', '/v1/ipam/pools', pool('claims'));
    const made = await svc().request('POST', '/v1/ipam/pools/claims/claims', { name: 'node-a-prov', owner: 'node:a' });
    expect(made.status, made.text).toBe(201);
    expect(made.body).toMatchObject({
      name: 'node-a-prov',
      pool: 'claims',
      owner: 'node:a',
      address: '192.0.2.2',
      prefix: 24,
      gateway: '192.0.2.1',
      dns_servers: ['192.0.2.53'],
    });
    const again = await svc().request('POST', '/v1/ipam/pools/claims/claims', { name: 'node-a-prov' });
    expect(again.status).toBe(200);
    expect(again.body.uuid).toBe(made.body.uuid);
    expect((await svc().request('GET', '/v1/ipam/pools/claims/claims/node-a-prov')).body.address).toBe('192.0.2.2');
    const listed = await svc().request('GET', '/v1/ipam/pools/claims/claims');
    expect(listed.body.claims.map((c: { name: string }) => c.name)).toEqual(['node-a-prov']);
    expect((await svc().request('GET', '/v1/ipam/pools/claims')).body.usage).toEqual({
      size: 253,
      allocated: 1,
      free: 252,
    });
    expect((await svc().request('DELETE', '/v1/ipam/pools/claims/claims/node-a-prov')).status).toBe(204);
    const twice = await svc().request('DELETE', '/v1/ipam/pools/claims/claims/node-a-prov');
    expect(twice.status).toBe(404);
    expect(faultOf(twice)).toBe('IP claim node-a-prov could not be found in pool claims.');
  });

  it('takes a requested address in any spelling and refuses one already held (409)', async () => {
    await svc().request('POST', '/v1/ipam/pools', {
      name: 'v6',
      prefix: 64,
      ranges: [{ start: '2001:db8::5', end: '2001:db8::9' }],
    });
    const res = await svc().request('POST', '/v1/ipam/pools/v6/claims', { name: 'r', address: '2001:0db8::0007' });
    expect(res.status, res.text).toBe(201);
    expect(res.body.address).toBe('2001:db8::7');
    const taken = await svc().request('POST', '/v1/ipam/pools/v6/claims', { name: 's', address: '2001:db8::7' });
    expect(taken.status).toBe(409);
    expect(faultOf(taken)).toMatch(/2001:db8::7 in pool v6 is held by claim r/);
  });

  it('answers 409 naming the pool when it is exhausted', async () => {
    await svc().request('POST', '/v1/ipam/pools', {
      name: 'small',
      prefix: 24,
      ranges: [{ start: '198.51.100.10', end: '198.51.100.11' }],
    });
    for (const n of ['a', 'b'])
      expect((await svc().request('POST', '/v1/ipam/pools/small/claims', { name: n })).status).toBe(201);
    const full = await svc().request('POST', '/v1/ipam/pools/small/claims', { name: 'c' });
    expect(full.status).toBe(409);
    expect(faultOf(full)).toBe('IP pool small is exhausted: no free address is left in its ranges.');
  });

  it('deletes a pool only when it has no claims (409 otherwise)', async () => {
    await svc().request('POST', '/v1/ipam/pools', pool('busy'));
    await svc().request('POST', '/v1/ipam/pools/busy/claims', { name: 'x' });
    const refused = await svc().request('DELETE', '/v1/ipam/pools/busy');
    expect(refused.status).toBe(409);
    expect(faultOf(refused)).toMatch(/IP pool busy still has 1 claim/);
    await svc().request('DELETE', '/v1/ipam/pools/busy/claims/x');
    expect((await svc().request('DELETE', '/v1/ipam/pools/busy')).status).toBe(204);
    expect((await svc().request('GET', '/v1/ipam/pools/busy')).status).toBe(404);
  });

  it('patches a pool with RFC 6902 and refuses edits that strand a held address or change the strategy', async () => {
    await svc().request('POST', '/v1/ipam/pools', pool('patched'));
    await svc().request('POST', '/v1/ipam/pools/patched/claims', { name: 'h', address: '192.0.2.200' });
    const ok = await svc().request('PATCH', '/v1/ipam/pools/patched', [
      { op: 'add', path: '/dns_servers/-', value: '192.0.2.54' },
      { op: 'add', path: '/pre_allocations/fixed', value: '192.0.2.100' },
    ]);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({
      dns_servers: ['192.0.2.53', '192.0.2.54'],
      pre_allocations: { fixed: '192.0.2.100' },
    });
    expect((await svc().request('POST', '/v1/ipam/pools/patched/claims', { name: 'fixed' })).body.address).toBe(
      '192.0.2.100',
    );
    const strand = await svc().request('PATCH', '/v1/ipam/pools/patched', [
      { op: 'replace', path: '/ranges/0/end', value: '192.0.2.150' },
    ]);
    expect(strand.status).toBe(400);
    expect(faultOf(strand)).toMatch(/192.0.2.200 \(claim h\)/);
    const strategy = await svc().request('PATCH', '/v1/ipam/pools/patched', [
      { op: 'replace', path: '/allocation_strategy', value: 'random' },
    ]);
    expect(strategy.status).toBe(400);
    expect(faultOf(strategy)).toMatch(/immutable/);
    expect(
      (await svc().request('PATCH', '/v1/ipam/pools/patched', [{ op: 'replace', path: '/uuid', value: 'x' }])).status,
    ).toBe(400);
    expect((await svc().request('GET', '/v1/ipam/pools/patched')).body.ranges[0].end).toBe('192.0.2.254');
  });

  it('lists addresses filtered by pool, claim and owner, with limit/marker/next', async () => {
    await svc().request(
      'POST',
      '/v1/ipam/pools',
      pool('listed', { ranges: [{ subnet: '203.0.113.0/24' }], gateway: null }),
    );
    for (let i = 0; i < 5; i++)
      await svc().request('POST', '/v1/ipam/pools/listed/claims', {
        name: `l${i}`,
        owner: i < 2 ? 'node:one' : 'node:two',
      });
    const page1 = await svc().request('GET', '/v1/ipam/addresses?pool=listed&limit=3');
    expect(page1.body.addresses.map((a: { address: string }) => a.address)).toEqual([
      '203.0.113.1',
      '203.0.113.2',
      '203.0.113.3',
    ]);
    expect(page1.body.addresses[0]).toMatchObject({
      pool: 'listed',
      claim: 'l0',
      owner: 'node:one',
      prefix: 24,
      family: 'ipv4',
    });
    const next = new URL(page1.body.next);
    const page2 = await svc().request('GET', next.pathname + next.search);
    expect(page2.body.addresses.map((a: { claim: string }) => a.claim)).toEqual(['l3', 'l4']);
    expect(page2.body.next).toBeUndefined();
    expect(await count(svc(), '/v1/ipam/addresses?owner=node:one')).toBe(2);
    expect(await count(svc(), '/v1/ipam/addresses?pool=listed&claim=l4')).toBe(1);
    expect(await count(svc(), '/v1/ipam/addresses?pool=no-such-pool')).toBe(0);
    const claims = await svc().request('GET', '/v1/ipam/pools/listed/claims?limit=2&sort_key=name&sort_dir=desc');
    expect(claims.body.claims.map((c: { name: string }) => c.name)).toEqual(['l4', 'l3']);
    expect(claims.body.next).toContain('marker=');
    const pools = await svc().request('GET', '/v1/ipam/pools?limit=1');
    expect(pools.body.pools).toHaveLength(1);
    expect(pools.body.next).toContain('/v1/ipam/pools?');
  });

  it.each<[string, unknown, RegExp]>([
    ['a malformed CIDR', { name: 'bad', ranges: [{ subnet: '192.0.2.0/33' }] }, /ranges\/0\/subnet/],
    [
      'a malformed address',
      { name: 'bad', prefix: 24, ranges: [{ start: '192.0.2.999', end: '192.0.2.9' }] },
      /ranges\/0\/start/,
    ],
    [
      'v4 and v6 mixed',
      { name: 'bad', ranges: [{ subnet: '192.0.2.0/24' }, { subnet: '2001:db8::/64' }] },
      /either IPv4 or IPv6/,
    ],
    [
      'a prefix out of range',
      { name: 'bad', prefix: 64, ranges: [{ start: '192.0.2.1', end: '192.0.2.9' }] },
      /prefix length is 0-32/,
    ],
    [
      'a gateway outside the subnet',
      { name: 'bad', gateway: '10.0.0.1', ranges: [{ subnet: '192.0.2.0/24' }] },
      /gateway 10.0.0.1 is outside/,
    ],
    [
      'overlapping ranges',
      {
        name: 'bad',
        prefix: 24,
        ranges: [
          { start: '192.0.2.1', end: '192.0.2.9' },
          { start: '192.0.2.5', end: '192.0.2.20' },
        ],
      },
      /overlap/,
    ],
    [
      'duplicate pre-allocations',
      { name: 'bad', ranges: [{ subnet: '192.0.2.0/24' }], pre_allocations: { a: '192.0.2.5', b: '192.0.2.5' } },
      /both name/,
    ],
    ['an unknown attribute', { name: 'bad', ranges: [{ subnet: '192.0.2.0/24' }], colour: 'red' }, /Unknown attribute/],
    ['a name unfit for a URL', { name: 'a/b', ranges: [{ subnet: '192.0.2.0/24' }] }, /name/],
    ['no ranges', { name: 'bad', ranges: [] }, /ranges/],
  ])('refuses a pool with %s: 400, nothing written', async (_what, body, message) => {
    const res = await svc().request('POST', '/v1/ipam/pools', body);
    expect(res.status, res.text).toBe(400);
    expect(faultOf(res)).toMatch(message);
    expect((await svc().request('GET', '/v1/ipam/pools/bad')).status).toBe(404);
  });

  it('refuses a bad claim with 400 and writes nothing', async () => {
    await svc().request('POST', '/v1/ipam/pools', pool('strict'));
    for (const body of [
      { name: 'x', address: 'not-an-ip' },
      { name: 'x', address: '2001:db8::1' },
      { name: 'x', address: '192.0.3.1' },
      { address: '192.0.2.9' },
      { name: 'x', extra: 1 },
    ]) {
      const res = await svc().request('POST', '/v1/ipam/pools/strict/claims', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(await count(svc(), '/v1/ipam/pools/strict/claims')).toBe(0);
    expect((await svc().request('POST', '/v1/ipam/pools/nowhere/claims', { name: 'x' })).status).toBe(404);
  });

  it('reports pool usage on /metrics', async () => {
    await svc().request('POST', '/v1/ipam/pools', pool('metered'));
    await svc().request('POST', '/v1/ipam/pools/metered/claims', { name: 'm' });
    const text = (await svc().request('GET', '/metrics')).text;
    expect(text).toContain('anvil_ipam_pool_addresses{pool="metered",state="allocated"} 1');
    expect(text).toContain('anvil_ipam_pool_addresses{pool="metered",state="free"} 252');
  });
});
