import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpamService } from '../../../../ipam/index.js';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { InventoryStore } from '../../../../services/inspect/index.js';
import { createLogger } from '../../../../services/logger.js';
import {
  MachineReconciler,
  MachineRepository,
  ProvisioningSlots,
  type Machine,
} from '../../../../services/machines/index.js';
import { NodeLocks, NodeRepository } from '../../../../services/nodes/index.js';
import { NodeHistory } from '../../../../services/events/index.js';
import { Metrics } from '../../../../services/metrics.js';
import { PortRepository } from '../../../../services/ports/index.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();
const HOSTS = 10;
const MACHINES = 12;

function spec(cluster: string): Machine['spec'] {
  return {
    cluster,
    consumer: null,
    role: null,
    host_selector: { match_labels: { pool: 'race' }, match_expressions: [], traits: [], resource_class: null },
    failure_domain: null,
    image: { url: 'http://127.0.0.1:1/os.img', checksum: 'abc', checksum_type: null, disk_format: null },
    custom_deploy: null,
    user_data: null,
    data_template: null,
    automated_cleaning_mode: 'disabled',
    node_reuse: false,
    paused: false,
  };
}

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`two providers racing for hosts [${engine}]`, () => {
    let tdb: TestDatabase;
    /** A connection pool per provider's conductor on PostgreSQL, as two processes have; one for SQLite. */
    const dbs: Database[] = [];

    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      for (let i = 0; i < (engine === 'postgres' ? 2 : 1); i++) dbs.push(openDatabase(tdb.url));
      await migrateToLatest(dbs[0]!.knex);
    });
    afterAll(async () => {
      for (const db of dbs) await db.close();
      await tdb?.drop();
    });

    it('never gives a host twice: 10 hosts to 12 machines leave 2 pending with the reason', async () => {
      const secrets = SecretBox.fromKey(Buffer.alloc(32, 5));
      const nodes = new NodeRepository(dbs[0]!.knex, secrets);
      for (let i = 0; i < HOSTS; i++) {
        await nodes.create(
          nodeFixture({ provision_state: 'available', power_state: 'power off', extra: { pool: 'race' } }),
        );
      }
      // A host outside the selector is never taken.
      await nodes.create(nodeFixture({ provision_state: 'available', power_state: 'power off', extra: { pool: 'x' } }));
      const seed = new MachineRepository(dbs[0]!.knex);
      const machines: Machine[] = [];
      for (let i = 0; i < MACHINES; i++) {
        machines.push(
          await seed.create({
            uuid: crypto.randomUUID(),
            name: `race-${i}`,
            spec: spec(i % 2 === 0 ? 'a' : 'b'),
            created_at: new Date().toISOString(),
          }),
        );
      }
      const log = createLogger('silent');
      const reconcilers = [0, 1].map((i) => {
        const knex = dbs[i % dbs.length]!.knex;
        const own = new NodeRepository(knex, secrets);
        return new MachineReconciler({
          repo: new MachineRepository(knex),
          nodes: own,
          locks: new NodeLocks({
            nodes: own,
            holder: `provider-${i}`,
            history: new NodeHistory(knex, `provider-${i}`),
            metrics: new Metrics(own),
          }),
          requests: {
            provision: () => Promise.reject(new Error('a pending machine asks for no deploy')),
            setPower: () => Promise.reject(new Error('a pending machine asks for no reboot')),
          },
          ipam: new IpamService(knex),
          ports: new PortRepository(knex),
          inventory: new InventoryStore(knex),
          failureDomainLabel: 'failure_domain',
          slots: new ProvisioningSlots(1000, async () => 0),
          log,
        });
      });
      // Both providers try every machine at once: each machine is raced by two claimers.
      await Promise.all(machines.flatMap((m) => reconcilers.map((r) => r.reconcile(m))));
      // A machine that lost every race is tried again, as the next sweep would.
      for (const m of (await seed.listUnsettled(0, 100)).machines) {
        if (m.phase === 'pending') await reconcilers[0]!.reconcile(m);
      }

      const after = await seed.list({ filter: {}, sortKey: 'id', sortDir: 'asc', limit: 100 });
      const holding = after.filter((m) => m.node_uuid !== null);
      expect(holding).toHaveLength(HOSTS);
      expect(new Set(holding.map((m) => m.node_uuid)).size).toBe(HOSTS);
      for (const m of holding) {
        expect(m.phase).toBe('provisioning');
        expect((await nodes.findByUuid(m.node_uuid!))?.instance_uuid).toBe(m.uuid);
      }
      const waiting = after.filter((m) => m.node_uuid === null);
      expect(waiting).toHaveLength(MACHINES - HOSTS);
      for (const m of waiting) {
        expect(m.phase).toBe('pending');
        expect(m.failure_message).toBe('no available host matches the selector');
      }
      const outside = (await dbs[0]!.knex('nodes').whereRaw(`extra like '%"x"%'`).first()) as {
        instance_uuid: unknown;
      };
      expect(outside.instance_uuid).toBeNull();
    });
  });
}
