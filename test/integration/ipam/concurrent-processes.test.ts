import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { IpamService } from '../../../ipam/index.js';
import { migrateToLatest, openDatabase } from '../../../services/db/index.js';
import { createTestDatabase, ENGINES, postgresAvailable } from '../../support/engines.js';

const run = promisify(execFile);
const WORKER = path.join(import.meta.dirname, 'claim-worker.ts');
const PROCESSES = 4;
const CLAIMS = 1000;
const postgresUp = await postgresAvailable();

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(
    `${PROCESSES} processes claiming from one pool [${engine}]`,
    () => {
      it(`makes ${PROCESSES}×${CLAIMS} claims, releases and re-claims with zero duplicates and exact counts`, async () => {
        const tdb = await createTestDatabase(engine);
        const db = openDatabase(tdb.url);
        try {
          await migrateToLatest(db.knex);
          const ipam = new IpamService(db.knex);
          await ipam.createPool('race', {
            gateway: '10.20.0.1',
            excluded: ['10.20.0.100-10.20.0.199'],
            ranges: [{ subnet: '10.20.0.0/16' }],
          });

          const started = Date.now();
          const outputs = await Promise.all(
            Array.from({ length: PROCESSES }, (_, w) =>
              run(process.execPath, ['--import', 'tsx', WORKER, tdb.url, 'race', String(w), String(CLAIMS)], {
                maxBuffer: 16 << 20,
              }),
            ),
          );
          const elapsed = Date.now() - started;
          console.info(`[${engine}] ${PROCESSES} processes × ${CLAIMS} claims + releases + re-claims: ${elapsed} ms`);

          const expected = new Map<string, string>();
          for (const { stdout } of outputs)
            for (const [name, address] of Object.entries(JSON.parse(stdout) as Record<string, string>))
              expected.set(name, address);
          const addresses = [...expected.values()];
          expect(new Set(addresses).size).toBe(addresses.length);

          const rows: { name: string; address: string }[] = await db
            .knex('ipam_claims')
            .join('ipam_addresses', 'ipam_addresses.claim_id', 'ipam_claims.id')
            .select('ipam_claims.name', 'ipam_addresses.address');
          expect(rows).toHaveLength(expected.size);
          expect(Number((await db.knex('ipam_addresses').count({ n: '*' }).first())!.n)).toBe(expected.size);
          expect(Number((await db.knex('ipam_claims').count({ n: '*' }).first())!.n)).toBe(expected.size);
          const view = await ipam.getPool('race');
          expect((await ipam.usage(view)).allocated).toBe(expected.size);
          for (const name of expected.keys())
            expect((await ipam.getClaim('race', name)).address).toBe(expected.get(name));
          // Nothing landed on the gateway or the excluded span.
          expect(addresses.filter((a) => a === '10.20.0.1' || /^10\.20\.0\.1\d\d$/.test(a))).toEqual([]);
        } finally {
          await db.close();
          await tdb.drop();
        }
      }, 120_000);
    },
  );
}
