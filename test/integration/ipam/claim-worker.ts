/**
 * One of several processes hammering one pool: N claims, release a random
 * half, re-claim some of those names. Prints what it holds at the end as
 * JSON. Usage: node --import tsx claim-worker.ts <db-url> <pool> <worker> <claims>
 */
import { IpamService } from '../../../ipam/index.js';
import { openDatabase } from '../../../services/db/index.js';

const [url, pool, worker, count] = process.argv.slice(2) as [string, string, string, string];
const db = openDatabase(url);
const ipam = new IpamService(db.knex);
const held = new Map<string, string>();
try {
  const names = Array.from({ length: Number(count) }, (_, i) => `w${worker}-${i}`);
  for (const name of names) held.set(name, (await ipam.claim(pool, { name, owner: `worker:${worker}` })).claim.address);
  const released = names.filter(() => Math.random() < 0.5);
  for (const name of released) {
    await ipam.release(pool, name);
    held.delete(name);
  }
  for (const name of released.filter(() => Math.random() < 0.5)) {
    held.set(name, (await ipam.claim(pool, { name, owner: `worker:${worker}` })).claim.address);
  }
  // Idempotent: asking again for every held name answers the same address.
  for (const [name, address] of held) {
    const again = await ipam.claim(pool, { name });
    if (again.created || again.claim.address !== address)
      throw new Error(`claim ${name} changed: ${address} → ${again.claim.address}`);
  }
  process.stdout.write(JSON.stringify(Object.fromEntries(held)));
} finally {
  await db.close();
}
