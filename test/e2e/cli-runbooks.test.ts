// docs/runbooks/*.md are executed: each page's ```sh blocks run in order in
// bash, with `anvil` being this repository's CLI and ANVIL_URL a real Anvil
// beside a simulated fleet, so the runbooks cannot rot. Each page gets the
// world its first paragraph describes (a cabled rack, an available rack...),
// prepared through the REST API; its ```yaml examples are checked with
// `anvil enroll --check`.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { anvil, ANVIL_COMMAND, cliEnv, finished, processEnv, REPO, type CliEnv, type CliResult } from './cli-run.js';
import { manifestHost, simHost } from './sim-nodes.js';

const RUNBOOKS = path.join(REPO, 'docs', 'runbooks');

let svc: TestService;
let sim: SimFleet;
let env: CliEnv;

beforeAll(async () => {
  [svc, sim] = await Promise.all([
    startTestService('sqlite', { ANVIL_POWER_STATE_CHANGE_TIMEOUT: '5', ANVIL_LOG_LEVEL: 'warn' }),
    startSimFleet({ fleet: createFleet({ count: 4, seed: 12 }), redfishPort: 0, ipmiBasePort: 0 }),
  ]);
  env = cliEnv(svc.url);
});

afterAll(async () => {
  env?.close();
  await sim?.close();
  await svc?.close();
});

/** The fenced blocks of one language, in order. */
function blocks(page: string, language: string): string[] {
  const text = readFileSync(path.join(RUNBOOKS, page), 'utf8');
  return [...text.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!);
}

/** Runs a page's shell blocks as one bash script that stops at the first failing command. */
async function runPage(page: string, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const script = ['set -euo pipefail', `anvil() { ${ANVIL_COMMAND} "$@"; }`, ...blocks(page, 'sh')].join('\n');
  // Its own process group, so a page that hangs is killed with every anvil it started.
  const child = spawn('bash', ['-c', script], {
    cwd: env.cwd,
    env: processEnv(env, extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return finished(child, () => process.kill(-child.pid!, 'SIGKILL'));
}

async function fakeNodes(rack: string, names: string[], state: 'available' | 'active'): Promise<void> {
  for (const name of names) {
    const created = await svc.request('POST', '/v1/nodes', { name, driver: 'fake-hardware', extra: { rack } });
    expect(created.status, created.text).toBe(201);
    for (const target of state === 'active' ? ['manage', 'provide', 'active'] : ['manage', 'provide']) {
      expect((await svc.request('PUT', `/v1/nodes/${name}/states/provision`, { target })).status).toBe(202);
      await settle(name);
    }
  }
}

async function settle(name: string): Promise<Record<string, any>> {
  for (let i = 0; i < 200; i++) {
    const node = (await svc.request('GET', `/v1/nodes/${name}`)).body;
    if (node.target_provision_state === null && node.reservation === null) return node;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${name} did not settle`);
}

const nodeOf = async (name: string) => (await svc.request('GET', `/v1/nodes/${name}`)).body as Record<string, any>;

describe('docs/runbooks', () => {
  it('enroll-a-rack.md: its example inventory is valid, and its steps enroll, verify, inspect and provide a rack', async () => {
    const [example] = blocks('enroll-a-rack.md', 'yaml');
    writeFileSync(path.join(env.cwd, 'example.yaml'), example!);
    const checked = await anvil(env, ['enroll', '-f', 'example.yaml', '--check']);
    expect(checked.code, checked.stderr).toBe(0);

    // The rack as the page describes it: this fleet's BMCs, in the example's shape.
    const [h0, h1] = [manifestHost(sim, 0), manifestHost(sim, 1)];
    writeFileSync(
      path.join(env.cwd, 'rack-r12.yaml'),
      `defaults:\n  extra: {rack: r12}\n  automated_clean: false\n  bmc: {username: ${h0.redfish.username}, password: ${h0.redfish.password}}\nnodes:\n` +
        `  - name: r12-u01\n    bmc: {address: "${h0.redfish.address}"}\n    macs: [${h0.macs.join(', ')}]\n` +
        // Both over Redfish: an IPMI node inspects in-band, through an agent these sims do not run.
        `  - name: r12-u02\n    bmc: {address: "${h1.redfish.address}"}\n    macs: [${h1.macs.join(', ')}]\n`,
    );
    const run = await runPage('enroll-a-rack.md');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/r12-u01\s+│ ok\s+│ exists, 2 port\(s\) exist/);
    for (const name of ['r12-u01', 'r12-u02'])
      expect(await nodeOf(name)).toMatchObject({ provision_state: 'available', last_error: null });
    expect((await nodeOf('r12-u01')).properties.cpu_arch).toBe('x86_64');
  });

  it('deploy-a-batch.md: a batch with a node in maintenance reports exit 3, and the retries bring the rack to active', async () => {
    await fakeNodes('r20', ['r20-u01', 'r20-u02', 'r20-u03'], 'available');
    await svc.request('PUT', '/v1/nodes/r20-u03/maintenance', { reason: 'PSU swap' });
    const run = await runPage('deploy-a-batch.md');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('deploy exit status: 3');
    for (const name of ['r20-u01', 'r20-u02', 'r20-u03']) {
      expect(await nodeOf(name)).toMatchObject({
        provision_state: 'active',
        instance_info: { image_source: 'http://images.example/ubuntu-24.04.raw' },
      });
    }
  });

  it('replace-a-failed-disk.md: drains, undeploys, powers off, and redeploys the node', async () => {
    await fakeNodes('r30', ['r30-u05'], 'active');
    const run = await runPage('replace-a-failed-disk.md');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(await nodeOf('r30-u05')).toMatchObject({ provision_state: 'active', maintenance: false });
    const before = JSON.parse(readFileSync(path.join(env.cwd, 'r30-u05-before.json'), 'utf8'));
    expect(before.maintenance_reason).toBe('disk 2 failed, ticket 4411');
    // The page's last step, `node history`, shows the teardown and the redeploy.
    expect(run.stdout).toMatch(
      /Provision action "deleted" requested: active -> deleting[\s\S]*Provision action "active" requested: available -> deploying/,
    );
  });

  it('rotate-bmc-credentials.md: nodes holding the old password reach their BMCs again with the new one', async () => {
    for (const [i, name] of [
      [2, 'r40-u01'],
      [3, 'r40-u02'],
    ] as const) {
      const host = manifestHost(sim, i);
      const enrolled = await anvil(env, [
        'node',
        'enroll',
        name,
        '--bmc',
        host.redfish.address,
        '--bmc-username',
        host.redfish.username,
        '--bmc-password',
        'old-password',
        '--extra',
        'rack=r40',
      ]);
      expect(enrolled.code, enrolled.stderr).toBe(0);
    }
    const stale = await anvil(env, ['node', 'power', 'on', '--selector', 'rack=r40', '--wait', '30']);
    expect(stale.code).toBe(1);
    const run = await runPage('rotate-bmc-credentials.md', { NEW_BMC_PASSWORD: manifestHost(sim, 2).redfish.password });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const name of ['r40-u01', 'r40-u02'])
      expect(await nodeOf(name)).toMatchObject({ power_state: 'power on', last_error: null });
    expect((await simHost(sim, manifestHost(sim, 3).name)).power).toBe('On');
  });
});
