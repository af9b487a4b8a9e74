// Ironic's tempest API suite against a fresh Anvil, by hand, for work on one
// resource: `npx tsx test/interop/tempest/by-hand.ts [MIN MAX [REGEX]]`, e.g.
// `... 1.1 1.95 '^ironic_tempest_plugin\.tests\.api\.admin\.test_chassis\.'`.
// Prints each failure with the end of its traceback and keeps the workspace,
// where `stestr last` and tempest.log show the HTTP exchanges.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestService } from '../../support/service.js';
import { startStandInIdentity } from './identity.js';
import { API_TESTS, runTempest, writeWorkspace } from './workspace.js';

const [min = '1.1', max = '1.82', regex = API_TESTS] = process.argv.slice(2);
const svc = await startTestService('sqlite');
const identity = await startStandInIdentity(svc.url);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tempest-'));
writeWorkspace(dir, identity.url, { min, max });
const result = await runTempest(dir, 2, 1_800_000, regex);
for (const name of result.failed) console.log(`FAILED ${name}\n${result.outcomes.get(name)?.detail ?? ''}\n`);
console.log(
  `${result.passed.length} passed, ${result.failed.length} failed, ${result.skipped.length} skipped; workspace ${dir}`,
);
await identity.close();
await svc.close();
