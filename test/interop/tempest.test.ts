// Ironic's own API test suite (ironic-tempest-plugin, run by tempest) against
// Anvil, at the range real Ironic 21.4 serves and at Anvil's own maximum.
// Each tempest test is a test here, so the summary counts every one of them.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_VERSION } from '../../api/microversion.js';
import { startTestService, type TestService } from '../support/service.js';
import { requirePythonModule, requireTool } from './tools.js';
import { startStandInIdentity, type StandInIdentity } from './tempest/identity.js';
import { listTempestTests, runTempest, writeWorkspace, type TempestResult } from './tempest/workspace.js';

const haveTempest = requireTool('tempest') && requirePythonModule('ironic_tempest_plugin');

/** Ironic 21.4's range, and Anvil's own. */
const RANGES = [
  { min: '1.1', max: '1.82' },
  { min: '1.1', max: MAX_VERSION },
];
const WORKERS = 2;
const RUN_MS = 20 * 60_000;

async function listTests(): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tempest-list-'));
  try {
    writeWorkspace(dir, 'http://127.0.0.1:9/v3', RANGES[0]!);
    return await listTempestTests(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tests = haveTempest ? await listTests() : [];

describe.skipIf(!haveTempest)("Ironic's tempest API suite", () => {
  it('lists the whole suite', () => {
    expect(tests.length).toBeGreaterThan(200);
  });

  for (const range of RANGES) {
    describe(`at microversions ${range.min} to ${range.max}`, () => {
      let svc: TestService | undefined;
      let identity: StandInIdentity | undefined;
      let result: TempestResult;
      const dir = mkdtempSync(path.join(os.tmpdir(), 'tempest-'));

      beforeAll(async () => {
        svc = await startTestService('sqlite');
        identity = await startStandInIdentity(svc.url);
        writeWorkspace(dir, identity.url, range);
        result = await runTempest(dir, WORKERS, RUN_MS);
        console.log(
          `tempest ${range.min}-${range.max}: ${result.outcomes.size} outcomes, ${result.passed.length} passed, ` +
            `${result.failed.length} failed, ${result.skipped.length} skipped`,
        );
      }, RUN_MS + 60_000);

      afterAll(async () => {
        await svc?.close();
        await identity?.close();
        rmSync(dir, { recursive: true, force: true });
      });

      it('went through the stand-in identity service to the Anvil under test', () => {
        expect(identity!.tokensIssued()).toBeGreaterThan(0);
        expect(result.outcomes.size, result.output.slice(-2000)).toBeGreaterThan(0);
      });

      it.for(tests)('%s', (name, ctx) => {
        const outcome = result.outcomes.get(name) ?? result.outcomes.get(setUpClassOf(name));
        if (outcome === undefined) throw new Error(`tempest did not report ${name}:\n${result.output.slice(-2000)}`);
        if (outcome.status === 'skip') ctx.skip(outcome.detail);
        expect(outcome.status, outcome.detail).toBe('success');
      });
    });
  }
});

/** Where a test's class-level setup failure is reported: `setUpClass (module.Class)`. */
function setUpClassOf(name: string): string {
  return `setUpClass (${name.slice(0, name.lastIndexOf('.'))})`;
}
