import { expect, it } from 'vitest';
import { describeOnEngines, faultOf } from '../../support/service.js';

describeOnEngines('node addresses from IPAM pools (/v1/anvil/nodes/{node}/...)', (svc) => {
  it('claims one address per pool for a node, idempotently, renders network_data, and frees them when the node goes', async () => {
    for (const [name, subnet, gateway, dns] of [
      ['prov-v4', '192.0.2.0/24', '192.0.2.1', ['192.0.2.53']],
      ['prov-v6', '2001:db8::/64', '2001:db8::1', ['2001:db8::53']],
    ] as const) {
      const res = await svc().request('POST', '/v1/ipam/pools', {
        name,
        ranges: [{ subnet }],
        gateway,
        dns_servers: dns,
      });
      expect(res.status, res.text).toBe(201);
    }
    const node = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'addr-node' })).body;
    await svc().request('POST', '/v1/ports', { node_uuid: node.uuid, address: '52:54:00:00:aa:01' });

    const first = await svc().request('PUT', '/v1/anvil/nodes/addr-node/addresses', { pools: ['prov-v4', 'prov-v6'] });
    expect(first.status, first.text).toBe(200);
    const byPool = Object.fromEntries(
      first.body.addresses.map((a: { pool: string; address: string }) => [a.pool, a.address]),
    );
    expect(byPool['prov-v4']).toMatch(/^192\.0\.2\.\d+$/);
    expect(byPool['prov-v4']).not.toBe('192.0.2.1');
    expect(byPool['prov-v6']).toMatch(/^2001:db8::/);
    const again = await svc().request('PUT', '/v1/anvil/nodes/addr-node/addresses', { pools: ['prov-v4', 'prov-v6'] });
    expect(again.body.addresses).toEqual(first.body.addresses);

    const nd = (await svc().request('GET', `/v1/anvil/nodes/${node.uuid}/network_data`)).body;
    expect(nd.links).toEqual([expect.objectContaining({ type: 'phy', ethernet_mac_address: '52:54:00:00:aa:01' })]);
    expect(nd.networks.map((n: { type: string; ip_address: string }) => [n.type, n.ip_address])).toEqual([
      ['ipv4', byPool['prov-v4']],
      ['ipv6', byPool['prov-v6']],
    ]);
    expect(nd.services).toEqual(
      expect.arrayContaining([
        { type: 'dns', address: '192.0.2.53' },
        { type: 'dns', address: '2001:db8::53' },
      ]),
    );

    expect((await svc().request('DELETE', `/v1/nodes/${node.uuid}`)).status).toBe(204);
    const held = await svc().request('GET', `/v1/ipam/addresses?owner=node:${node.uuid}`);
    expect(held.body.addresses).toEqual([]);
  });

  it('releases on request and refuses unknown pools and bad bodies', async () => {
    await svc().request('POST', '/v1/ipam/pools', { name: 'small', ranges: [{ subnet: '198.51.100.0/30' }] });
    await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'addr-2' });
    expect((await svc().request('PUT', '/v1/anvil/nodes/addr-2/addresses', { pools: ['small'] })).status).toBe(200);
    expect((await svc().request('DELETE', '/v1/anvil/nodes/addr-2/addresses')).status).toBe(204);
    expect((await svc().request('GET', '/v1/anvil/nodes/addr-2/addresses')).body.addresses).toEqual([]);
    const unknown = await svc().request('PUT', '/v1/anvil/nodes/addr-2/addresses', { pools: ['nope'] });
    expect(unknown.status).toBe(404);
    expect(faultOf(unknown)).toContain('nope');
    expect((await svc().request('PUT', '/v1/anvil/nodes/addr-2/addresses', { pools: [] })).status).toBe(400);
    expect((await svc().request('PUT', '/v1/anvil/nodes/ghost/addresses', { pools: ['small'] })).status).toBe(404);
  });
});
