import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpamService } from '../../../../ipam/index.js';
import { NodeBootBackend } from '../../../../services/boot/boot-backend.js';
import { loadConfig } from '../../../../services/config/index.js';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { NodeHistory } from '../../../../services/events/history.js';
import { claimAddressesForNode } from '../../../../services/ipam/node-addresses.js';
import { NodeRepository } from '../../../../services/nodes/repository.js';
import { PortRepository } from '../../../../services/ports/repository.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(
    `the boot backend over nodes, ports and IPAM [${engine}]`,
    () => {
      let tdb: TestDatabase;
      let db: Database;
      let backend: NodeBootBackend;
      let nodes: NodeRepository;
      let history: NodeHistory;
      let ipam: IpamService;

      beforeAll(async () => {
        tdb = await createTestDatabase(engine);
        db = openDatabase(tdb.url);
        await migrateToLatest(db.knex);
        nodes = new NodeRepository(db.knex, SecretBox.fromKey(Buffer.alloc(32, 7)));
        history = new NodeHistory(db.knex, 'test');
        ipam = new IpamService(db.knex);
        backend = new NodeBootBackend({
          nodes,
          ports: new PortRepository(db.knex),
          ipam,
          history,
          apiUrl: 'http://192.0.2.1:6385',
          agentImages: loadConfig({}).agentImages,
        });
      });
      afterAll(async () => {
        await db?.close();
        await tdb?.drop();
      });

      it('finds a host by MAC and by its IPAM address, with its lease and what to boot', async () => {
        const now = new Date().toISOString();
        const node = await nodes.create(
          nodeFixture({
            uuid: '00000000-0000-4000-8000-0000000000b1',
            name: 'boot-host',
            driver_info: { deploy_kernel: 'k', deploy_ramdisk: 'r' },
            provision_state: 'wait call-back',
            target_provision_state: 'active',
            power_state: 'power on',
          }),
        );
        await db.knex('ports').insert({
          uuid: '00000000-0000-4000-9000-0000000000b1',
          address: '52:54:00:00:0b:01',
          node_id: node.id,
          extra: '{}',
          internal_info: '{}',
          local_link_connection: '{}',
          pxe_enabled: true,
          created_at: now,
        });
        await ipam.createPool('boot-net', {
          ranges: [{ subnet: '198.51.100.0/24' }],
          gateway: '198.51.100.1',
          dns_servers: ['198.51.100.53'],
        });
        const [claim] = await claimAddressesForNode(ipam, node, ['boot-net']);

        const byMac = await backend.getByMac('52-54-00-00-0B-01');
        expect(byMac).toMatchObject({
          mac: '52:54:00:00:0b:01',
          nodeUuid: node.uuid,
          hostname: 'boot-host',
          lease: { address: claim!.address, prefix: 24, gateway: '198.51.100.1', dnsServers: ['198.51.100.53'] },
          boot: { kind: 'agent', kernelUrl: 'k' },
        });
        expect(await backend.getByIp(claim!.address)).toEqual(byMac);
        expect(await backend.getByMac('52:54:00:00:0b:99')).toBeNull();
        expect(await backend.getByIp('203.0.113.9')).toBeNull();
        expect(await backend.getByIp('not an address')).toBeNull();

        await backend.recordServed('52:54:00:00:0b:01', { protocol: 'tftp', detail: 'undionly.kpxe' });
        // A download carries no MAC: the address finds the node and the node its boot port.
        await backend.recordServedTo(claim!.address, { protocol: 'http', detail: '/images/disk.img' });
        await backend.recordServedTo('203.0.113.9', { protocol: 'http', detail: '/images/nobody.img' });
        await backend.recordServedTo('not an address', { protocol: 'tftp', detail: 'ipxe.efi' });
        const events = (await history.list(node.id, 10)).map((e) => e.event);
        expect(events).toContain('tftp to 52:54:00:00:0b:01: undionly.kpxe');
        expect(events).toContain('http to 52:54:00:00:0b:01: /images/disk.img');
        expect(events.filter((e) => e.includes('nobody') || e.includes('ipxe.efi'))).toEqual([]);
      });

      it('reads an address by its own index, whatever its pool (migration 022)', async () => {
        if (engine === 'sqlite') {
          const plan = await db.knex.raw<{ detail: string }[]>(
            "explain query plan select claim_id from ipam_addresses where address = 'c0a80001'",
          );
          expect(plan.map((step) => step.detail).join('; ')).toContain('USING INDEX ipam_addresses_address_index');
        } else {
          // PostgreSQL's planner scans a table this small whatever its indexes: the index is asserted to exist.
          const indexes = await db.knex('pg_indexes').where({ tablename: 'ipam_addresses' }).pluck('indexname');
          expect(indexes).toContain('ipam_addresses_address_index');
        }
      });
    },
  );
}
