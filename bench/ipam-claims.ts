/**
 * IPAM claim throughput on SQLite and PostgreSQL for a /16 pool filled to
 * 90% (the fill is a bulk insert of randomly scattered addresses, then claims
 * go through IpamService as the API's would), and process RSS as the pool
 * grows from a /24 to a /8 (claims must not cost memory in the pool's size).
 * Usage: npx tsx --expose-gc bench/ipam-claims.ts [claims]
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { IpamService } from '../ipam/index.js';
import { migrateToLatest, openDatabase } from '../services/db/index.js';
import { createTestDatabase, postgresAvailable, type EngineName } from '../test/support/engines.js';

const CLAIMS = Number(process.argv[2] ?? 1000);
const FILL = 0.9;
const gc = (globalThis as { gc?: () => void }).gc;

/** Holds `count` random addresses of 10.0.0.0/16 (hosts 1..65534) with one bulk claim each. */
async function fill(knex: Knex, poolId: number, count: number): Promise<void> {
  const hosts = Array.from({ length: 65534 }, (_, i) => i + 1);
  for (let i = hosts.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [hosts[i], hosts[j]] = [hosts[j]!, hosts[i]!];
  }
  const chosen = hosts.slice(0, count);
  const hex = (n: number) => (0x0a000000 + n).toString(16).padStart(8, '0');
  const now = new Date().toISOString();
  // 400 rows a statement: SQLite caps a compound SELECT (how knex writes a multi-row insert) at 500 terms.
  for (let i = 0; i < chosen.length; i += 400) {
    const chunk = chosen.slice(i, i + 400);
    await knex.transaction(async (trx) => {
      const ids = await trx('ipam_claims')
        .insert(chunk.map((n) => ({ uuid: randomUUID(), pool_id: poolId, name: `fill-${n}`, created_at: now })))
        .returning('id');
      await trx('ipam_addresses').insert(
        chunk.map((n, k) => ({
          uuid: randomUUID(),
          pool_id: poolId,
          claim_id: (ids[k] as { id: number }).id,
          address: hex(n),
          next: hex(n + 1),
          created_at: now,
        })),
      );
    });
  }
}

async function throughput(engine: EngineName, strategy: 'sequential' | 'random') {
  const tdb = await createTestDatabase(engine);
  const db = openDatabase(tdb.url);
  try {
    await migrateToLatest(db.knex);
    const ipam = new IpamService(db.knex);
    await ipam.createPool('bench', { allocation_strategy: strategy, ranges: [{ subnet: '10.0.0.0/16' }] });
    const { record } = await ipam.getPool('bench');
    let started = performance.now();
    await fill(db.knex, record.id, Math.floor(65534 * FILL));
    const fillSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    await ipam.claim('bench', { name: 'first' });
    const firstMs = performance.now() - started;
    started = performance.now();
    for (let i = 0; i < CLAIMS; i++) await ipam.claim('bench', { name: `c${i}` });
    const seconds = (performance.now() - started) / 1000;
    return { engine, strategy, fillSeconds, firstMs, perSecond: CLAIMS / seconds, meanMs: (seconds * 1000) / CLAIMS };
  } finally {
    await db.close();
    await tdb.drop();
  }
}

async function rssByPoolSize() {
  const tdb = await createTestDatabase('sqlite');
  const db = openDatabase(tdb.url);
  const rows: { prefix: number; size: string; rssMb: number }[] = [];
  try {
    await migrateToLatest(db.knex);
    const ipam = new IpamService(db.knex);
    for (const prefix of [24, 20, 16, 12, 8]) {
      const name = `rss-${prefix}`;
      const view = await ipam.createPool(name, {
        allocation_strategy: 'random',
        ranges: [{ subnet: `10.0.0.0/${prefix}` }],
      });
      for (let i = 0; i < 200; i++) await ipam.claim(name, { name: `c${i}` });
      const size = (await ipam.usage(view)).size.toString();
      gc?.();
      rows.push({ prefix, size, rssMb: process.memoryUsage().rss / 2 ** 20 });
    }
  } finally {
    await db.close();
    await tdb.drop();
  }
  return rows;
}

const engines: EngineName[] = (await postgresAvailable()) ? ['sqlite', 'postgres'] : ['sqlite'];
console.log(`\n${CLAIMS} claims on a /16 pool filled to ${FILL * 100}% (after one warm-up claim):\n`);
console.log('| engine | strategy | bulk fill s | first claim ms | claims/s | mean ms |');
console.log('|---|---|---|---|---|---|');
for (const engine of engines) {
  for (const strategy of ['sequential', 'random'] as const) {
    const r = await throughput(engine, strategy);
    console.log(
      `| ${r.engine} | ${r.strategy} | ${r.fillSeconds.toFixed(1)} | ${r.firstMs.toFixed(1)} | ${r.perSecond.toFixed(0)} | ${r.meanMs.toFixed(2)} |`,
    );
  }
}
console.log(
  `\nRSS after 200 random claims per pool, pools created in turn in one process (SQLite${gc ? ', after gc' : ''}):\n`,
);
console.log('| pool | size | RSS MB |');
console.log('|---|---|---|');
for (const r of await rssByPoolSize()) console.log(`| 10.0.0.0/${r.prefix} | ${r.size} | ${r.rssMb.toFixed(1)} |`);
