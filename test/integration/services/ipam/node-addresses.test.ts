import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpamService } from '../../../../ipam/index.js';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import {
  claimAddressesForNode,
  nodeAddresses,
  releaseNodeAddresses,
} from '../../../../services/ipam/node-addresses.js';
import { renderNetworkData } from '../../../../services/network-data/render.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';

const postgresUp = await postgresAvailable();
const NODE = { uuid: '6f1c2f0e-0000-4000-8000-000000000001' };

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`a node's addresses from named pools [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    let ipam: IpamService;
    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await migrateToLatest(db.knex);
      ipam = new IpamService(db.knex);
      await ipam.createPool('prov', {
        gateway: '192.0.2.1',
        dns_servers: ['192.0.2.53'],
        ranges: [{ subnet: '192.0.2.0/24' }],
      });
      await ipam.createPool('prov6', {
        prefix: 64,
        gateway: '2001:db8::1',
        ranges: [{ start: '2001:db8::100', end: '2001:db8::1ff' }],
      });
    });
    afterAll(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('claims <node-uuid>-<pool> in each pool, owned by the node, the same addresses on a retry', async () => {
      const first = await claimAddressesForNode(ipam, NODE, ['prov', 'prov6']);
      expect(first.map((c) => [c.record.name, c.record.owner, c.address])).toEqual([
        [`${NODE.uuid}-prov`, `node:${NODE.uuid}`, '192.0.2.2'],
        [`${NODE.uuid}-prov6`, `node:${NODE.uuid}`, '2001:db8::100'],
      ]);
      const again = await claimAddressesForNode(ipam, NODE, ['prov', 'prov6']);
      expect(again.map((c) => c.address)).toEqual(first.map((c) => c.address));
    });

    it('renders the node network data from its claims, then releases them all with the node', async () => {
      const data = renderNetworkData(
        [{ uuid: 'p1', mac: '52:54:00:00:00:01', pxe_enabled: true }],
        await nodeAddresses(ipam, NODE),
      );
      expect(data.networks.map((n) => [n.type, n.ip_address, n.netmask, n.routes[0]?.gateway])).toEqual([
        ['ipv4', '192.0.2.2', '255.255.255.0', '192.0.2.1'],
        ['ipv6', '2001:db8::100', 'ffff:ffff:ffff:ffff::', '2001:db8::1'],
      ]);
      expect(data.services).toEqual([{ type: 'dns', address: '192.0.2.53' }]);
      expect(await releaseNodeAddresses(ipam, NODE)).toBe(2);
      expect(await nodeAddresses(ipam, NODE)).toEqual([]);
      expect(await releaseNodeAddresses(ipam, NODE)).toBe(0);
    });
  });
}
