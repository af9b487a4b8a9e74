// Issue 15's CLI: host labels from the enroll file (YAML and CSV) land in the
// nodes' extra, and `anvil machine create|list|show|remediate|delete` drive
// a machine through a real Anvil, spawned as a user runs the CLI.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { anvil, cliEnv, errorLines, type CliEnv, type CliResult } from './cli-run.js';
import { manifestHost } from './sim-nodes.js';

let svc: TestService;
let sim: SimFleet;
let env: CliEnv;

beforeAll(async () => {
  [svc, sim] = await Promise.all([
    startTestService('sqlite', { ANVIL_LOG_LEVEL: 'warn' }),
    startSimFleet({ fleet: createFleet({ count: 3, seed: 15 }), redfishPort: 0, ipmiBasePort: 0 }),
  ]);
  env = cliEnv(svc.url);
});

afterAll(async () => {
  env?.close();
  await sim?.close();
  await svc?.close();
});

const file = (name: string, text: string) => {
  const at = path.join(env.cwd, name);
  writeFileSync(at, text);
  return at;
};
const json = <T = any>(r: CliResult): T => JSON.parse(r.stdout) as T;
const expectOk = (r: CliResult) => expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);

/** An available fake-hardware host labelled for the machine tests. */
async function availableHost(name: string, labels: Record<string, string>): Promise<string> {
  const res = await svc.request('POST', '/v1/nodes', { name, driver: 'fake-hardware', extra: labels });
  expect(res.status, res.text).toBe(201);
  const uuid = res.body.uuid as string;
  for (const [target, state] of [
    ['manage', 'manageable'],
    ['provide', 'available'],
  ] as const) {
    expect((await svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, { target })).status).toBe(202);
    await eventually(
      () => svc.request('GET', `/v1/nodes/${uuid}`),
      (r) => r.body.provision_state === state && r.body.reservation === null,
    );
  }
  return uuid;
}

describe('host labels in the enroll file', () => {
  it('puts YAML and CSV labels into extra, over the defaults, and refuses a label that is not a string', async () => {
    const [h0, h1, h2] = [0, 1, 2].map((i) => manifestHost(sim, i));
    const yaml = file(
      'labelled.yaml',
      `defaults:
  automated_clean: false
  labels: {rack: r7, failure_domain: a}
nodes:
  - name: lab-0
    bmc: {address: "${h0!.redfish.address}", username: ${h0!.redfish.username}, password: ${h0!.redfish.password}}
    macs: [${h0!.macs.join(', ')}]
  - name: lab-1
    bmc: {address: "${h1!.redfish.address}", username: ${h1!.redfish.username}, password: ${h1!.redfish.password}}
    macs: [${h1!.macs.join(', ')}]
    labels: {failure_domain: b}
    extra: {slot: "3"}
`,
    );
    expectOk(await anvil(env, ['enroll', '-f', yaml]));
    expect((await svc.request('GET', '/v1/nodes/lab-0')).body.extra).toEqual({ rack: 'r7', failure_domain: 'a' });
    expect((await svc.request('GET', '/v1/nodes/lab-1')).body.extra).toEqual({
      rack: 'r7',
      failure_domain: 'b',
      slot: '3',
    });

    const csv = file(
      'labelled.csv',
      `name,bmc_address,bmc_username,bmc_password,macs,labels.failure_domain,automated_clean\nlab-2,${h2!.redfish.address},${h2!.redfish.username},${h2!.redfish.password},"${h2!.macs.join(' ')}",c,false\n`,
    );
    expectOk(await anvil(env, ['enroll', '-f', csv]));
    expect((await svc.request('GET', '/v1/nodes/lab-2')).body.extra).toEqual({ failure_domain: 'c' });

    const bad = await anvil(env, [
      'enroll',
      '-f',
      file(
        'bad-labels.yaml',
        `nodes:\n  - name: lab-9\n    bmc: {address: "${h0!.redfish.address}", username: u, password: p}\n    labels: {rack: 12}\n`,
      ),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('label "rack" must be a string');
    expect((await svc.request('GET', '/v1/nodes/lab-9')).status).toBe(404);
  });
});

describe('anvil machine', () => {
  it('creates a machine and waits for it, lists, shows, remediates and deletes it; bad input is one clear line', async () => {
    const host = await availableHost('cli-host-0', { rack: 'cli', failure_domain: 'a' });
    await availableHost('cli-host-1', { rack: 'cli', failure_domain: 'b' });
    const created = await anvil(env, [
      'machine',
      'create',
      'cli-0',
      '--cluster',
      'k1',
      '--role',
      'worker',
      '--selector',
      'rack=cli',
      '--failure-domain',
      'a',
      '--image-url',
      'http://127.0.0.1:1/os.img',
      '--image-checksum',
      'ab'.repeat(32),
      '--image-checksum-type',
      'sha256',
      '--wait',
      '30',
      '-o',
      'json',
    ]);
    expectOk(created);
    expect(json(created)).toMatchObject({
      name: 'cli-0',
      status: { phase: 'provisioned', node_uuid: host, provider_id: `anvil://${host}`, ready: true },
    });

    const [list, show] = await Promise.all([
      anvil(env, ['machine', 'list', '--cluster', 'k1']),
      anvil(env, ['machine', 'show', 'cli-0', '-o', 'yaml']),
    ]);
    expectOk(list);
    expect(list.stdout).toMatch(/cli-0\s+│ k1\s+│ provisioned\s+│ anvil:\/\//);
    expect(parseYaml(show.stdout).spec.host_selector.match_labels).toEqual({ rack: 'cli' });

    // fake-hardware reboots at once and reports power on: the host comes back on the first try.
    expectOk(await anvil(env, ['machine', 'remediate', 'cli-0', '--retry-limit', '1', '--timeout', '10']));
    const healed = await eventually(
      () => svc.request('GET', '/v1/anvil/machines/cli-0'),
      (r) => r.body.status.remediation === null,
    );
    expect(healed.body.status).toMatchObject({ phase: 'provisioned', ready: true });

    const noChecksum = await anvil(env, [
      'machine',
      'create',
      'cli-bad',
      '--cluster',
      'k1',
      '--image-url',
      'http://127.0.0.1:1/os.img',
    ]);
    expect(noChecksum.code).toBe(1);
    expect(errorLines(noChecksum)).toHaveLength(1);
    expect(noChecksum.stderr).toContain('An image needs a checksum');

    expectOk(await anvil(env, ['machine', 'delete', 'cli-0']));
    await eventually(
      () => svc.request('GET', '/v1/anvil/machines/cli-0'),
      (r) => r.status === 404,
      20_000,
    );
    const missing = await anvil(env, ['machine', 'show', 'cli-0']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Machine cli-0 could not be found');
  });
});
