import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpamError, IpamService, parseAddress, validatePool, type PoolSpec } from '../../../ipam/index.js';
import { isAssignable } from '../../../ipam/pool.js';
import { fromHex } from '../../../ipam/address.js';
import { migrateToLatest, openDatabase, type Database } from '../../../services/db/index.js';

const NAMES = Array.from({ length: 14 }, (_, i) => `c${i}`);
const name = fc.constantFrom(...NAMES);
const host = fc.integer({ min: 1, max: 30 }); // 10.0.0.1-30: inside, at the edges of, and outside the ranges below

const op = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      name,
      requested: fc.option(host, { nil: null, freq: 4 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), name }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      firstEnd: fc.integer({ min: 3, max: 12 }),
      excluded: fc.option(host, { nil: null }),
      pre: fc.dictionary(name, host, { maxKeys: 3 }),
    }),
  },
);

/** The pool an edit asks for: two ranges, the first one resizable, some exclusions and pre-allocations. */
function specFor(e: { firstEnd: number; excluded: number | null; pre: Record<string, number> }): PoolSpec {
  return {
    prefix: 24,
    gateway: '10.0.0.1',
    ranges: [
      { start: '10.0.0.2', end: `10.0.0.${e.firstEnd}` },
      { start: '10.0.0.20', end: '10.0.0.24' },
    ],
    excluded: e.excluded === null ? [] : [`10.0.0.${e.excluded}`],
    pre_allocations: Object.fromEntries(Object.entries(e.pre).map(([n, h]) => [n, `10.0.0.${h}`])),
  };
}

describe('claims, releases and pool edits in any order (SQLite)', () => {
  let dir: string;
  let db: Database;
  let ipam: IpamService;
  let run = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-ipam-prop-'));
    db = openDatabase(`sqlite:${path.join(dir, 'ipam.db')}`);
    await migrateToLatest(db.knex);
    ipam = new IpamService(db.knex);
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never holds an address twice, never leaks one, honours pre-allocations and stays inside the ranges', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<'sequential' | 'random'>('sequential', 'random'),
        fc.array(op, { minLength: 1, maxLength: 40 }),
        async (strategy, ops) => {
          const pool = `prop-${run++}`;
          await ipam.createPool(pool, {
            ...specFor({ firstEnd: 8, excluded: null, pre: {} }),
            allocation_strategy: strategy,
          });
          const { record } = await ipam.getPool(pool);
          const held = new Map<string, string>();
          for (const o of ops) {
            try {
              if (o.kind === 'claim') {
                const before = held.get(o.name);
                const { claim, created } = await ipam.claim(pool, {
                  name: o.name,
                  address: o.requested === null ? null : `10.0.0.${o.requested}`,
                });
                expect(created).toBe(before === undefined);
                if (before !== undefined) expect(claim.address).toBe(before);
                held.set(o.name, claim.address);
              } else if (o.kind === 'release') {
                await ipam.release(pool, o.name);
                expect(held.delete(o.name)).toBe(true);
              } else {
                await ipam.updatePool(pool, () => ({ ...specFor(o), allocation_strategy: strategy }));
              }
            } catch (err) {
              if (!(err instanceof IpamError)) throw err;
              if (o.kind === 'release') expect(held.has(o.name)).toBe(false);
            }

            const rows: { name: string; address: string | null }[] = await db
              .knex('ipam_claims')
              .leftJoin('ipam_addresses', 'ipam_addresses.claim_id', 'ipam_claims.id')
              .where('ipam_claims.pool_id', record.id)
              .select('ipam_claims.name', 'ipam_addresses.address');
            const addressRows = await db.knex('ipam_addresses').where({ pool_id: record.id }).count({ n: '*' }).first();
            // None leaks: one address per live claim, none without a claim.
            expect(Number(addressRows!.n)).toBe(rows.length);
            expect(rows.every((r) => r.address !== null)).toBe(true);
            // None is held twice.
            expect(new Set(rows.map((r) => r.address)).size).toBe(rows.length);
            // The database agrees with what the service answered.
            expect(new Map(rows.map((r) => [r.name, r.address]))).toEqual(
              new Map([...held].map(([n, a]) => [n, parseAddress(a).value.toString(16).padStart(8, '0')])),
            );
            const current = validatePool((await ipam.getPool(pool)).record.spec);
            for (const r of rows) {
              const value = fromHex(r.address!);
              // Everything stays inside the ranges and off reserved addresses.
              expect(isAssignable(current, value)).toBe(true);
              // A pre-allocated name holds its pre-allocation; nobody else holds it.
              const pre = current.preAllocations.get(r.name);
              if (pre !== undefined) expect(value).toBe(pre);
              for (const [other, v] of current.preAllocations) if (other !== r.name) expect(value).not.toBe(v);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);
});
