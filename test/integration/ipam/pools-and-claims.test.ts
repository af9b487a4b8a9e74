import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddressUnavailable,
  ClaimMismatch,
  ClaimNotFound,
  InvalidIpamInput,
  IpamService,
  PoolExhausted,
  PoolInUse,
} from '../../../ipam/index.js';
import { migrateToLatest, openDatabase, type Database } from '../../../services/db/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../support/engines.js';

const postgresUp = await postgresAvailable();

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`IPAM pools and claims [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    let ipam: IpamService;
    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await migrateToLatest(db.knex);
      ipam = new IpamService(db.knex);
    });
    afterAll(async () => {
      await db?.close();
      await tdb?.drop();
    });

    const addressOf = async (pool: string, name: string, extra: { address?: string; owner?: string } = {}) =>
      (await ipam.claim(pool, { name, ...extra })).claim.address;

    it('hands out addresses in order, skipping the gateway and exclusions, and gives a name the same address every time', async () => {
      await ipam.createPool('seq', {
        gateway: '10.1.0.1',
        excluded: ['10.1.0.3'],
        ranges: [{ subnet: '10.1.0.0/24' }],
      });
      expect(await addressOf('seq', 'a')).toBe('10.1.0.2');
      expect(await addressOf('seq', 'b')).toBe('10.1.0.4');
      const again = await ipam.claim('seq', { name: 'a' });
      expect(again).toMatchObject({ created: false, claim: { address: '10.1.0.2', prefix: 24, gateway: '10.1.0.1' } });
      await ipam.release('seq', 'a');
      // The cursor comes back down on release: the lowest free address is next.
      expect(await addressOf('seq', 'c')).toBe('10.1.0.2');
      await expect(ipam.release('seq', 'a')).rejects.toThrow(ClaimNotFound);
    });

    it('prefers the pre-allocation, then the requested address, and refuses conflicts', async () => {
      await ipam.createPool('pref', {
        prefix: 64,
        ranges: [{ start: '2001:db8::10', end: '2001:db8::20' }],
        pre_allocations: { host: '2001:db8::0015' },
      });
      expect(await addressOf('pref', 'host')).toBe('2001:db8::15');
      expect(await addressOf('pref', 'wants', { address: '2001:db8:0::11' })).toBe('2001:db8::11');
      await expect(ipam.claim('pref', { name: 'thief', address: '2001:db8::15' })).rejects.toThrow(
        /pre-allocated to claim host/,
      );
      await expect(ipam.claim('pref', { name: 'second', address: '2001:db8::11' })).rejects.toThrow(AddressUnavailable);
      await expect(ipam.claim('pref', { name: 'far', address: '2001:db8::99' })).rejects.toThrow(InvalidIpamInput);
      await expect(ipam.claim('pref', { name: 'v4', address: '10.0.0.1' })).rejects.toThrow(/pool is IPv6/);
      await expect(ipam.claim('pref', { name: 'wants', address: '2001:db8::12' })).rejects.toThrow(ClaimMismatch);
      expect(await addressOf('pref', 'any')).toBe('2001:db8::10');
      expect(await addressOf('pref', 'any2')).toBe('2001:db8::12');
    });

    it('answers exhaustion with an error naming the pool, and frees exactly what is released', async () => {
      await ipam.createPool('tiny', { prefix: 24, ranges: [{ start: '10.2.0.10', end: '10.2.0.11' }] });
      await addressOf('tiny', 'x');
      await addressOf('tiny', 'y');
      await expect(ipam.claim('tiny', { name: 'z' })).rejects.toThrow(PoolExhausted);
      await expect(ipam.claim('tiny', { name: 'z' })).rejects.toThrow('IP pool tiny is exhausted');
      await ipam.release('tiny', 'x');
      expect(await addressOf('tiny', 'z')).toBe('10.2.0.10');
    });

    it('allocates at once from a /8 and a /64 after thousands of claims: no scan of the pool', async () => {
      await ipam.createPool('big4', { ranges: [{ subnet: '10.0.0.0/8' }] });
      await ipam.createPool('big6', { allocation_strategy: 'random', ranges: [{ subnet: 'fd00:1::/64' }] });
      const { record } = await ipam.getPool('big4');
      // 5,000 held addresses from the start, written in bulk as if claimed.
      const rows = Array.from({ length: 5000 }, (_, i) => i + 1);
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        const claims = await db
          .knex('ipam_claims')
          .insert(
            chunk.map((n) => ({ uuid: crypto.randomUUID(), pool_id: record.id, name: `bulk-${n}`, created_at: 'x' })),
          )
          .returning('id');
        await db.knex('ipam_addresses').insert(
          chunk.map((n, j) => ({
            uuid: crypto.randomUUID(),
            pool_id: record.id,
            claim_id: (claims[j] as { id: number }).id,
            address: (0x0a000000 + n).toString(16).padStart(8, '0'),
            next: (0x0a000000 + n + 1).toString(16).padStart(8, '0'),
            created_at: 'x',
          })),
        );
      }
      let started = performance.now();
      expect(await addressOf('big4', 'after-bulk')).toBe('10.0.19.137');
      for (let i = 0; i < 20; i++) await addressOf('big4', `more-${i}`);
      const v4ms = performance.now() - started;
      started = performance.now();
      for (let i = 0; i < 20; i++) expect(await addressOf('big6', `r-${i}`)).toMatch(/^fd00:1::/);
      const v6ms = performance.now() - started;
      expect(v4ms).toBeLessThan(3000);
      expect(v6ms).toBeLessThan(3000);
      const usage = await ipam.usage(await ipam.getPool('big6'));
      expect(usage).toMatchObject({ size: 2n ** 64n - 1n, allocated: 20 });
    });

    it('never leaks an address when a claim is created and deleted at the same time', async () => {
      await ipam.createPool('churn', { prefix: 24, ranges: [{ start: '10.3.0.1', end: '10.3.0.200' }] });
      for (let round = 0; round < 30; round++) {
        await Promise.allSettled([
          ipam.claim('churn', { name: `n-${round % 5}` }),
          ipam.release('churn', `n-${round % 5}`),
          ipam.claim('churn', { name: `n-${(round + 1) % 5}` }),
        ]);
      }
      const { record } = await ipam.getPool('churn');
      const claims = Number((await db.knex('ipam_claims').where({ pool_id: record.id }).count({ n: '*' }).first())!.n);
      const held = Number((await db.knex('ipam_addresses').where({ pool_id: record.id }).count({ n: '*' }).first())!.n);
      expect(held).toBe(claims);
    });

    it('lets racing claims in one process each get a distinct address', async () => {
      await ipam.createPool('race', {
        allocation_strategy: 'random',
        prefix: 24,
        ranges: [{ start: '10.4.0.1', end: '10.4.0.60' }],
      });
      const got = await Promise.all(Array.from({ length: 50 }, (_, i) => addressOf('race', `r${i}`)));
      expect(new Set(got).size).toBe(50);
      const same = await Promise.all(Array.from({ length: 10 }, () => ipam.claim('race', { name: 'one' })));
      expect(new Set(same.map((s) => s.claim.address)).size).toBe(1);
      expect(same.filter((s) => s.created)).toHaveLength(1);
    });

    it('refuses edits that strand a held or pre-allocated address, and a change of strategy', async () => {
      await ipam.createPool('edit', { prefix: 24, ranges: [{ start: '10.5.0.1', end: '10.5.0.20' }] });
      await addressOf('edit', 'held', { address: '10.5.0.15' });
      const shrink = (end: string) => () => ({ prefix: 24, ranges: [{ start: '10.5.0.1', end }] });
      await expect(ipam.updatePool('edit', shrink('10.5.0.10'))).rejects.toThrow(/10.5.0.15 \(claim held\) outside/);
      await expect(
        ipam.updatePool('edit', () => ({
          prefix: 24,
          excluded: ['10.5.0.15'],
          ranges: [{ start: '10.5.0.1', end: '10.5.0.20' }],
        })),
      ).rejects.toThrow(/reserved/);
      await expect(
        ipam.updatePool('edit', () => ({
          prefix: 24,
          ranges: [{ start: '10.5.0.1', end: '10.5.0.20' }],
          pre_allocations: { other: '10.5.0.15' },
        })),
      ).rejects.toThrow(/held by claim held/);
      await expect(
        ipam.updatePool('edit', () => ({
          allocation_strategy: 'random',
          prefix: 24,
          ranges: [{ start: '10.5.0.1', end: '10.5.0.20' }],
        })),
      ).rejects.toThrow(/immutable/);
      const before = await ipam.getPool('edit');
      const grown = await ipam.updatePool('edit', shrink('10.5.0.30'));
      expect(grown.record.spec.ranges[0]!.end).toBe('10.5.0.30');
      expect(grown.record.version).toBe(before.record.version + 1);
    });

    it('deletes a pool only once it has no claims', async () => {
      await ipam.createPool('gone', { prefix: 24, ranges: [{ start: '10.6.0.1', end: '10.6.0.9' }] });
      await addressOf('gone', 'last', { owner: 'node:1234' });
      await expect(ipam.deletePool('gone')).rejects.toThrow(PoolInUse);
      expect(await ipam.releaseOwnedBy('node:1234')).toBe(1);
      await ipam.deletePool('gone');
      await expect(ipam.getPool('gone')).rejects.toThrow(/could not be found/);
    });

    it('tells who holds an address, in any pool and any spelling, until it is released', async () => {
      await ipam.createPool('own4', { prefix: 24, ranges: [{ start: '10.7.0.1', end: '10.7.0.9' }] });
      await ipam.createPool('own6', { prefix: 64, ranges: [{ start: 'fd00:7::1', end: 'fd00:7::9' }] });
      const v4 = await addressOf('own4', 'a', { owner: 'node:aaaa' });
      const v6 = await addressOf('own6', 'b', { owner: 'node:bbbb' });
      await addressOf('own4', 'unowned');
      expect([v4, v6]).toEqual(['10.7.0.1', 'fd00:7::1']);
      expect(await ipam.ownerOf(v4)).toBe('node:aaaa');
      expect(await ipam.ownerOf('fd00:7:0:0:0:0:0:1')).toBe('node:bbbb');
      // Held by a claim without an owner, and held by nobody.
      expect(await ipam.ownerOf('10.7.0.2')).toBeNull();
      expect(await ipam.ownerOf('10.7.0.9')).toBeNull();
      await expect(ipam.ownerOf('10.7.0')).rejects.toThrow(InvalidIpamInput);
      await ipam.release('own4', 'a');
      expect(await ipam.ownerOf(v4)).toBeNull();
    });
  });
}
