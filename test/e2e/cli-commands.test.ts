// Issue 8's proofs for the `anvil` CLI: every command spawned as a user runs
// it, against a real Anvil (SQLite) and a simulated Redfish/IPMI fleet, in
// every output format, with the exit codes scripts rely on and one clear
// stderr line for each kind of bad input.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { anvil, cliEnv, errorLines, finished, startAnvil, type CliEnv, type CliResult } from './cli-run.js';
import { manifestHost, simHost } from './sim-nodes.js';

let svc: TestService;
let sim: SimFleet;
let env: CliEnv;

beforeAll(async () => {
  [svc, sim] = await Promise.all([
    startTestService('sqlite', { ANVIL_POWER_STATE_CHANGE_TIMEOUT: '5', ANVIL_LOG_LEVEL: 'warn' }),
    startSimFleet({ fleet: createFleet({ count: 4, seed: 8 }), redfishPort: 0, ipmiBasePort: 0 }),
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
const nodeCount = async () => ((await svc.request('GET', '/v1/nodes')).body.nodes as unknown[]).length;
const fakeNode = async (name: string, fields: Record<string, unknown> = {}) => {
  const res = await svc.request('POST', '/v1/nodes', { name, driver: 'fake-hardware', ...fields });
  expect(res.status, res.text).toBe(201);
};

/** The rack inventory: sim-0 over Redfish, sim-1 over IPMI, with defaults every node shares. */
function rackYaml(): string {
  const h0 = manifestHost(sim, 0);
  const h1 = manifestHost(sim, 1);
  return `defaults:
  extra: {rack: r1}
  automated_clean: false
nodes:
  - name: sim-0
    bmc: {address: "${h0.redfish.address}", username: ${h0.redfish.username}, password: ${h0.redfish.password}}
    macs: [${h0.macs.join(', ')}]
  - name: sim-1
    bmc:
      address: ${h1.ipmi.address}
      username: ${h1.ipmi.username}
      password: ${h1.ipmi.password}
    macs: [${h1.macs.join(', ')}]
    extra: {slot: "7"}
`;
}

describe('anvil enroll', () => {
  it('enrolls nodes and ports from YAML, and a re-run changes nothing and reports what exists', async () => {
    const inventory = file('rack.yaml', rackYaml());
    const first = await anvil(env, ['enroll', '-f', inventory]);
    expectOk(first);
    expect(first.stdout).toMatch(/sim-0\s+│ ok\s+│ created, 2 port\(s\) created/);
    const node = (await svc.request('GET', '/v1/nodes/sim-1')).body;
    expect(node).toMatchObject({ driver: 'ipmi', extra: { rack: 'r1', slot: '7' }, automated_clean: false });
    expect(node.driver_info).toMatchObject({ ipmi_address: '127.0.0.1', ipmi_password: '******' });
    const before = { nodes: await nodeCount(), ports: (await svc.request('GET', '/v1/ports')).body.ports.length };

    const again = await anvil(env, ['enroll', '-f', inventory, '-o', 'json']);
    expectOk(again);
    expect(json(again).map((o: any) => [o.item, o.status, o.detail])).toEqual([
      ['sim-0', 'ok', 'exists, 2 port(s) exist'],
      ['sim-1', 'ok', 'exists, 2 port(s) exist'],
    ]);
    expect({ nodes: await nodeCount(), ports: (await svc.request('GET', '/v1/ports')).body.ports.length }).toEqual(
      before,
    );
  });

  it('enrolls from CSV and from an anvil-sim manifest, taking the BMC the manifest host offers', async () => {
    const h2 = manifestHost(sim, 2);
    const csv = file(
      'rack.csv',
      `name,bmc_address,bmc_username,bmc_password,macs,extra.rack,automated_clean\nsim-2,${h2.redfish.address},${h2.redfish.username},${h2.redfish.password},"${h2.macs.join(' ')}",r1,false\n`,
    );
    expectOk(await anvil(env, ['node', 'enroll', '-f', csv]));
    const manifest = file('sim.json', JSON.stringify({ hosts: [manifestHost(sim, 2), manifestHost(sim, 3)] }, null, 2));
    const checked = await anvil(env, ['enroll', '-f', manifest, '--bmc-protocol', 'ipmi', '--check', '-o', 'json']);
    expectOk(checked);
    expect(json(checked).map((n: any) => [n.line, n.name, n.node.driver])).toEqual([
      [3, 'sim-2', 'ipmi'],
      [21, 'sim-3', 'ipmi'],
    ]);
    const enrolled = await anvil(env, ['enroll', '-f', manifest, '--bmc-protocol', 'ipmi', '-o', 'yaml']);
    expectOk(enrolled);
    expect((parseYaml(enrolled.stdout) as any[]).map((o) => o.detail)).toEqual([
      'exists, 2 port(s) exist',
      'created, 2 port(s) created',
    ]);
    expect((await svc.request('GET', '/v1/nodes/sim-3')).body.driver).toBe('ipmi');
  });

  it('rejects a malformed inventory before sending anything: every problem on its own line with its line number, exit 2', async () => {
    const h0 = manifestHost(sim, 0);
    const bad = file(
      'bad.yaml',
      `nodes:
  - name: ok-node
    bmc: {address: "${h0.redfish.address}", username: u, password: p}
  - name: no-scheme
    bmc:
      address: 10.0.0.1/redfish/v1/Systems/1
      username: u
      password: p
  - name: ok-node
    bmc: {address: "ipmi://10.0.0.2", username: u, password: p}
    macs: [not-a-mac]
`,
    );
    const before = await nodeCount();
    const yaml = await anvil(env, ['enroll', '-f', bad]);
    expect(yaml.code).toBe(2);
    expect(errorLines(yaml)).toEqual([
      `anvil: ${bad}:6: node "no-scheme": bmc.address: no scheme; expected redfish[+http|+https]://host[:port]/redfish/v1/Systems/<id>, redfish-virtualmedia[+http|+https]://…, redfish-uefihttp[+http|+https]://…, or ipmi://host[:port]`,
      `anvil: ${bad}:11: node "ok-node": "not-a-mac" is not a MAC address such as 52:54:00:12:34:56`,
    ]);
    const csv = file(
      'bad.csv',
      'name,bmc_address,bmc_username,bmc_password\nr-1,ipmi://10.0.0.1,u,p\nr-2,ftp://10.0.0.2,u,p\nr-3,ipmi://10.0.0.3,u\n',
    );
    const fromCsv = await anvil(env, ['enroll', '-f', csv]);
    expect(fromCsv.code).toBe(2);
    expect(errorLines(fromCsv)).toEqual([
      expect.stringMatching(new RegExp(`^anvil: ${csv}:3: node "r-2": bmc.address: unsupported scheme "ftp"`)),
      `anvil: ${csv}:4: 3 fields where the header has 4`,
    ]);
    const syntax = await anvil(env, ['enroll', '-f', file('syntax.yaml', 'nodes:\n  - name: a\n   bmc: [\n')]);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(new RegExp(`^anvil: .*syntax.yaml:3: `));
    expect(await nodeCount()).toBe(before);
  });
});

describe('anvil node', () => {
  it('lists and shows nodes as a table, JSON and YAML, passwords masked', async () => {
    const [table, asJson, asYaml, show] = await Promise.all([
      anvil(env, ['node', 'list', '--selector', 'rack=r1']),
      anvil(env, ['-o', 'json', 'node', 'list']),
      anvil(env, ['node', 'list', '--output', 'yaml']),
      anvil(env, ['node', 'show', 'sim-0', '-o', 'json']),
    ]);
    for (const r of [table, asJson, asYaml, show]) expectOk(r);
    expect(table.stdout).toMatch(/│ Name\s+│ UUID\s+│ Provision State\s+│ Power\s+│ Maintenance\s+│ Last Error/);
    expect(table.stdout.match(/│ sim-\d/g)).toHaveLength(3);
    expect(json<any[]>(asJson).map((n) => n.name)).toEqual(
      expect.arrayContaining(['sim-0', 'sim-1', 'sim-2', 'sim-3']),
    );
    expect((parseYaml(asYaml.stdout) as any[]).find((n) => n.name === 'sim-0').driver).toBe('redfish');
    expect(json(show).driver_info).toMatchObject({
      redfish_address: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      redfish_password: '******',
    });
  });

  it('manages, inspects and provides the nodes a selector picks, waiting, with plain progress lines off a terminal', async () => {
    const manage = await anvil(env, ['node', 'manage', '--selector', 'rack=r1', '--wait', '60']);
    expectOk(manage);
    expect(manage.stdout).toMatch(/^sim-0: manageable, power off$/m);
    expect(manage.stdout).toMatch(/sim-2\s+│ ok\s+│ manageable/);
    const inspect = await anvil(env, ['node', 'inspect', 'sim-0', '--wait']);
    expectOk(inspect);
    const [inventory, inventoryTable] = await Promise.all([
      anvil(env, ['node', 'inventory', 'sim-0', '-o', 'json']),
      anvil(env, ['node', 'inventory', 'sim-0']),
    ]);
    expectOk(inventory);
    expect(
      json(inventory)
        .inventory.interfaces.map((i: any) => i.mac_address)
        .sort(),
    ).toEqual([...manifestHost(sim, 0).macs].sort());
    expect(inventoryTable.stdout).toMatch(/│ cpu\s+│ \{"count":/);
    const provide = await anvil(env, [
      '-o',
      'json',
      'node',
      'provide',
      '--selector',
      'rack=r1,state=manageable',
      '--wait',
    ]);
    expectOk(provide);
    expect(
      json<any[]>(provide)
        .map((o) => [o.item, o.status, o.node.provision_state])
        .sort(),
    ).toEqual([
      ['sim-0', 'ok', 'available'],
      ['sim-1', 'ok', 'available'],
      ['sim-2', 'ok', 'available'],
    ]);
    // Progress belongs to stderr when stdout carries JSON.
    expect(provide.stderr).toMatch(/^sim-1: available, power off$/m);
  });

  it('powers nodes on and off through their BMCs and sets the boot device', async () => {
    const on = await anvil(env, ['node', 'power', 'on', 'sim-0', 'sim-1', '--wait']);
    expectOk(on);
    expect((await simHost(sim, 'sim-0')).power).toBe('On');
    expect((await simHost(sim, 'sim-1')).power).toBe('On');
    expectOk(await anvil(env, ['node', 'power', 'off', 'sim-0', '--wait']));
    expect((await simHost(sim, 'sim-0')).power).toBe('Off');
    const set = await anvil(env, ['node', 'boot-device', 'sim-0', 'pxe', '-o', 'json']);
    expectOk(set);
    expect(json(set)).toMatchObject({ boot_device: 'pxe', persistent: false });
    expect((await simHost(sim, 'sim-0')).boot).toMatchObject({ target: 'pxe' });
    expect((await anvil(env, ['node', 'boot-device', 'sim-0'])).stdout).toMatch(/│ boot_device\s+│ pxe/);
  });

  it('puts nodes in maintenance and back, and shows their history', async () => {
    expectOk(await anvil(env, ['node', 'maintenance', 'set', 'sim-2', '--reason', 'disk 2 failed']));
    expect((await svc.request('GET', '/v1/nodes/sim-2')).body).toMatchObject({
      maintenance: true,
      maintenance_reason: 'disk 2 failed',
    });
    expectOk(await anvil(env, ['node', 'maintenance', 'unset', 'sim-2']));
    expect((await svc.request('GET', '/v1/nodes/sim-2')).body.maintenance).toBe(false);
    const [table, asJson] = await Promise.all([
      anvil(env, ['node', 'history', 'sim-0']),
      anvil(env, ['node', 'history', 'sim-0', '-o', 'json']),
    ]);
    expect(table.stdout).toMatch(/│ Time\s+│ Severity\s+│ Event/);
    expect(json<any[]>(asJson).map((e) => e.event)).toContain(
      'Provision action "manage" requested: enroll -> verifying',
    );
  });

  it('rotates BMC credentials with node set, and a wrong password makes manage fail with the BMC error, exit 1', async () => {
    const h3 = manifestHost(sim, 3);
    expectOk(
      await anvil(env, [
        'node',
        'enroll',
        'creds',
        '--bmc',
        h3.redfish.address,
        '--bmc-username',
        'admin',
        '--bmc-password',
        'wrong',
        '--extra',
        'rack=r2',
      ]),
    );
    const refused = await anvil(env, ['node', 'manage', 'creds', '--wait']);
    expect(refused.code).toBe(1);
    expect(errorLines(refused)).toEqual([
      expect.stringMatching(/^anvil: creds: stopped in "enroll" instead of "manageable": .*(401|credential|auth)/i),
    ]);
    const rotated = await anvil(env, [
      'node',
      'set',
      'creds',
      '--driver-info',
      `redfish_password=${h3.redfish.password}`,
      '-o',
      'json',
    ]);
    expectOk(rotated);
    expect(json(rotated).driver_info.redfish_password).toBe('******');
    expectOk(await anvil(env, ['node', 'manage', 'creds', '--wait']));
  });

  it('answers 0, 1, 2 and 3 for a batch that all worked, all failed, was misused, or partly failed', async () => {
    await Promise.all(
      ['fh-0', 'fh-1', 'fh-2'].map((n) => fakeNode(n, { extra: { rack: 'fh' }, resource_class: 'fh-class' })),
    );
    const [all, none, noNames, both, notNumber] = await Promise.all([
      anvil(env, ['node', 'manage', 'fh-0', 'fh-1', 'fh-2', '--wait', '--concurrency', '2']),
      anvil(env, ['node', 'manage', 'ghost-1', 'ghost-2']),
      anvil(env, ['node', 'manage']),
      anvil(env, ['node', 'manage', 'fh-0', '--selector', 'rack=fh']),
      anvil(env, ['node', 'manage', 'fh-0', '--concurrency', 'many']),
    ]);
    expectOk(all);
    expect(none.code).toBe(1);
    expect(errorLines(none)).toEqual([
      'anvil: ghost-1: Node ghost-1 could not be found.',
      'anvil: ghost-2: Node ghost-2 could not be found.',
    ]);
    expect([noNames.code, both.code, notNumber.code]).toEqual([2, 2, 2]);
    expect(errorLines(noNames)).toEqual([
      'anvil: name at least one node, or give --selector (e.g. --selector rack=r12)',
    ]);
    expect(errorLines(notNumber)).toEqual([
      expect.stringMatching(/^anvil: option '--concurrency <n>' argument 'many' is invalid/),
    ]);

    const partial = await anvil(env, ['node', 'provide', 'fh-0', 'ghost-3', 'fh-1', '--wait']);
    expect(partial.code).toBe(3);
    expect(partial.stdout).toMatch(/ghost-3\s+│ failed\s+│ Node ghost-3 could not be found\./);
    expect(errorLines(partial)).toEqual(['anvil: ghost-3: Node ghost-3 could not be found.']);
    const deploy = await anvil(env, [
      'node',
      'deploy',
      '--selector',
      'rack=fh,state=available',
      '--wait',
      '--image-source',
      'http://images/ubuntu.img',
      '--image-checksum',
      'sha256:00',
    ]);
    expectOk(deploy);
    expect((await svc.request('GET', '/v1/nodes/fh-0')).body).toMatchObject({
      provision_state: 'active',
      instance_info: { image_source: 'http://images/ubuntu.img' },
    });
    const undeploy = await anvil(env, ['node', 'undeploy', 'fh-0', '--wait', '-o', 'json']);
    expectOk(undeploy);
    expect(json(undeploy)[0].node.provision_state).toBe('available');
    const none2 = await anvil(env, ['node', 'deploy', '--selector', 'rack=fh,state=deploy failed', '--wait']);
    expectOk(none2);
    expect(errorLines(none2)).toEqual(['anvil: no node matches --selector rack=fh,state=deploy failed; nothing to do']);
  });

  it('stops waiting on SIGINT without aborting the operation, exit 130', async () => {
    // sim-1 has no agent to call back, so its deploy waits in "wait call-back" until told otherwise. It has
    // what a deploy needs to start (agent images, an image): without them it would fail at once instead.
    const ready = await svc.request('PATCH', '/v1/nodes/sim-1', [
      { op: 'add', path: '/driver_info/deploy_kernel', value: 'http://127.0.0.1:9/ipa.kernel' },
      { op: 'add', path: '/driver_info/deploy_ramdisk', value: 'http://127.0.0.1:9/ipa.initramfs' },
      { op: 'add', path: '/instance_info/image_source', value: 'http://127.0.0.1:9/ubuntu.img' },
      { op: 'add', path: '/instance_info/image_checksum', value: 'sha256:00' },
    ]);
    expect(ready.status, ready.text).toBe(200);
    const child = startAnvil(env, ['node', 'deploy', 'sim-1', '--wait']);
    const result = finished(child);
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('wait call-back')) resolve();
      });
    });
    child.kill('SIGINT');
    const r = await result;
    expect(r.code).toBe(130);
    expect(errorLines(r)).toEqual([
      'anvil: stopped waiting (interrupted); 1 operation(s) continue server-side, follow them with `anvil node list`',
    ]);
    expect((await svc.request('GET', '/v1/nodes/sim-1')).body).toMatchObject({
      provision_state: 'wait call-back',
      target_provision_state: 'active',
    });
  });

  it('deletes the nodes a selector picks', async () => {
    await fakeNode('gone-1', { extra: { rack: 'gone' } });
    await fakeNode('gone-2', { extra: { rack: 'gone' } });
    expectOk(await anvil(env, ['node', 'delete', '--selector', 'rack=gone']));
    expect((await svc.request('GET', '/v1/nodes/gone-1')).status).toBe(404);
    expect((await svc.request('GET', '/v1/nodes/gone-2')).status).toBe(404);
  });
});

describe('anvil port, allocation, ipam, fleet', () => {
  it('lists, creates, shows and deletes ports', async () => {
    const list = await anvil(env, ['port', 'list', '--node', 'sim-0', '-o', 'json']);
    expectOk(list);
    expect(
      json<any[]>(list)
        .map((p) => p.address)
        .sort(),
    ).toEqual([...manifestHost(sim, 0).macs].sort());
    const created = await anvil(env, [
      'port',
      'create',
      '--node',
      'fh-2',
      '--address',
      '52:54:00:aa:bb:01',
      '-o',
      'json',
    ]);
    expectOk(created);
    const uuid = json(created).uuid as string;
    const [show, byMac] = await Promise.all([
      anvil(env, ['port', 'show', uuid]),
      anvil(env, ['port', 'list', '--address', '52:54:00:aa:bb:01']),
    ]);
    expect(show.stdout).toMatch(/│ address\s+│ 52:54:00:aa:bb:01/);
    expect(byMac.stdout).toContain(uuid);
    const deleted = await anvil(env, ['port', 'delete', uuid]);
    expect(deleted.stdout).toBe(`port ${uuid} deleted\n`);
    const dup = await anvil(env, ['port', 'create', '--node', 'fh-2', '--address', manifestHost(sim, 0).macs[0]!]);
    expect(dup.code).toBe(1);
    expect(errorLines(dup)).toHaveLength(1);
  });

  it('allocates an available node by resource class, waiting for it, and frees it', async () => {
    const created = await anvil(env, [
      'allocation',
      'create',
      '--name',
      'alloc-1',
      '--resource-class',
      'fh-class',
      '--wait',
      '20',
      '-o',
      'json',
    ]);
    expectOk(created);
    expect(json(created)).toMatchObject({ name: 'alloc-1', state: 'active', node_uuid: expect.any(String) });
    const [list, show] = await Promise.all([
      anvil(env, ['allocation', 'list']),
      anvil(env, ['allocation', 'show', 'alloc-1', '-o', 'yaml']),
    ]);
    expect(list.stdout).toMatch(/alloc-1\s+│ active/);
    expect(parseYaml(show.stdout).resource_class).toBe('fh-class');
    expectOk(await anvil(env, ['allocation', 'delete', 'alloc-1']));
    expect((await svc.request('GET', '/v1/allocations/alloc-1', undefined, '1.95')).status).toBe(404);
  });

  it('creates a pool, claims from it, gives a node addresses, and releases them', async () => {
    expectOk(
      await anvil(env, [
        'ipam',
        'pool',
        'create',
        'prov',
        '--range',
        '10.9.0.10-10.9.0.20',
        '--prefix',
        '24',
        '--gateway',
        '10.9.0.1',
      ]),
    );
    const claim = await anvil(env, ['ipam', 'claim', 'create', 'prov', 'vip', '--owner', 'team-a', '-o', 'json']);
    expectOk(claim);
    expect(json(claim).address).toBe('10.9.0.10');
    const assigned = await anvil(env, ['ipam', 'address', 'assign', 'fh-2', '--pool', 'prov', '-o', 'json']);
    expectOk(assigned);
    expect(json(assigned).addresses[0].address).toBe('10.9.0.11');
    const [pools, show, claims, addresses, nodeAddresses] = await Promise.all([
      anvil(env, ['ipam', 'pool', 'list']),
      anvil(env, ['ipam', 'pool', 'show', 'prov', '-o', 'json']),
      anvil(env, ['ipam', 'claim', 'list', 'prov']),
      anvil(env, ['ipam', 'address', 'list', '--pool', 'prov', '-o', 'json']),
      anvil(env, ['ipam', 'address', 'show', 'fh-2']),
    ]);
    expect(pools.stdout).toMatch(/prov\s+│ ipv4\s+│ 10\.9\.0\.10-10\.9\.0\.20/);
    expect(json(show).usage).toMatchObject({ size: 11, allocated: 2 });
    expect(claims.stdout).toMatch(/vip\s+│ prov\s+│ 10\.9\.0\.10/);
    expect(
      json<any[]>(addresses)
        .map((a) => a.address)
        .sort(),
    ).toEqual(['10.9.0.10', '10.9.0.11']);
    expect(nodeAddresses.stdout).toContain('10.9.0.11');
    expectOk(await anvil(env, ['ipam', 'address', 'release', 'fh-2']));
    expectOk(await anvil(env, ['ipam', 'claim', 'delete', 'prov', 'vip']));
    expectOk(await anvil(env, ['ipam', 'pool', 'delete', 'prov']));
    const gone = await anvil(env, ['ipam', 'pool', 'show', 'prov']);
    expect(gone.code).toBe(1);
    expect(errorLines(gone)).toHaveLength(1);
  });

  it('summarizes the fleet: counts by state, BMC health, failures with their last error', async () => {
    await fakeNode('broken');
    await svc.request('PUT', '/v1/nodes/broken/maintenance', { reason: 'fan' });
    const [asJson, table] = await Promise.all([
      anvil(env, ['fleet', 'status', '-o', 'json']),
      anvil(env, ['fleet', 'status']),
    ]);
    expectOk(asJson);
    const summary = json(asJson);
    expect(summary.total).toBe(await nodeCount());
    expect(summary.by_state).toMatchObject({ available: expect.any(Number), 'wait call-back': 1 });
    expect(summary.bmc.maintenance).toBe(1);
    expect(table.stdout).toMatch(/│ BMC Health\s+│ Nodes/);
    expect(table.stdout).toMatch(/│ maintenance\s+│ 1/);
  });
});

describe('anvil with a bad endpoint or credentials', () => {
  let fake: Server;
  let seen: IncomingHttpHeaders[];
  let fakeUrl: string;

  beforeAll(async () => {
    seen = [];
    // Stands in for an Anvil that checks tokens (Anvil itself runs with ANVIL_AUTH=none on loopback today).
    fake = createServer((req, res) => {
      seen.push(req.headers);
      const fault = JSON.stringify({
        faultcode: 'Client',
        faultstring: 'The request you have made requires authentication.',
        debuginfo: null,
      });
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error_message: fault }));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => fake?.close(resolve));
  });

  it('says it cannot reach a server that is down, exit 1', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await anvil(env, ['node', 'list'], { ANVIL_URL: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(errorLines(r)).toEqual([`anvil: cannot reach Anvil at http://127.0.0.1:${port}: connection refused`]);
  });

  it('reports an unknown node and a refused token in one line each, exit 1, sending the token from flag, env or config file', async () => {
    const config = file('anvil.yaml', `url: ${fakeUrl}\ntoken: from-file\n`);
    const [unknown, flag, fromEnv, fromFile, badUrl, badConfig] = await Promise.all([
      anvil(env, ['node', 'show', 'nope']),
      anvil(env, ['--url', fakeUrl, '--token', 'from-flag', 'node', 'list'], { ANVIL_TOKEN: 'from-env' }),
      anvil(env, ['node', 'list'], { ANVIL_URL: fakeUrl, ANVIL_TOKEN: 'from-env' }),
      anvil(env, ['--config', config, 'node', 'list'], { ANVIL_URL: '' }),
      anvil(env, ['--url', 'not a url', 'node', 'list']),
      anvil(env, ['--config', path.join(env.cwd, 'missing.yaml'), 'node', 'list']),
    ]);
    expect(unknown.code).toBe(1);
    expect(errorLines(unknown)).toEqual(['anvil: Node nope could not be found.']);
    for (const r of [flag, fromEnv, fromFile]) {
      expect(r.code).toBe(1);
      expect(errorLines(r)).toEqual([
        'anvil: Anvil refused the credentials (HTTP 401): The request you have made requires authentication; check --token or --username/--password (ANVIL_TOKEN, ANVIL_USERNAME, ANVIL_PASSWORD) or the config file',
      ]);
    }
    expect(seen.map((h) => h.authorization).sort()).toEqual([
      'Bearer from-env',
      'Bearer from-file',
      'Bearer from-flag',
    ]);
    expect(seen.every((h) => h['x-openstack-ironic-api-version'] === '1.110')).toBe(true);
    expect([badUrl.code, badConfig.code]).toEqual([2, 2]);
    expect(errorLines(badUrl)).toEqual([
      'anvil: Anvil URL "not a url" is not a valid URL (expected e.g. http://127.0.0.1:6385)',
    ]);
    expect(errorLines(badConfig)).toEqual([
      expect.stringMatching(/^anvil: cannot read config file .*missing\.yaml: ENOENT/),
    ]);
  });
});

describe('anvil completion and sim', () => {
  it('completes subcommands in bash from the command tree', async () => {
    const script = await anvil(env, ['completion', 'bash']);
    expectOk(script);
    const probe = `${script.stdout}\nCOMP_WORDS=(anvil node po); COMP_CWORD=2; _anvil; echo "\${COMPREPLY[*]}"\nCOMP_WORDS=(anvil node power ''); COMP_CWORD=3; _anvil; echo "\${COMPREPLY[*]}"`;
    const bash = await finished(startShell(probe));
    expect(bash).toMatchObject({ code: 0, stdout: 'power\non off reboot --help\n' });
    const zsh = await anvil(env, ['completion', 'zsh']);
    expect(zsh.stdout).toMatch(
      /^# anvil completion for zsh[\s\S]*bashcompinit[\s\S]*complete -o default -F _anvil anvil/,
    );
    expect((await anvil(env, ['completion', 'fish'])).code).toBe(2);
  });

  it('runs anvil-sim as a child process, whose manifest enrolls', async () => {
    const manifest = path.join(env.cwd, 'child-sim.json');
    const child = startAnvil(env, [
      'sim',
      '--hosts',
      '1',
      '--prefix',
      'child-',
      '--seed',
      '99',
      '--redfish-port',
      '0',
      '--ipmi-base-port',
      '0',
      '--manifest',
      manifest,
    ]);
    const result = finished(child);
    try {
      const deadline = Date.now() + 20_000;
      let text = '';
      while (Date.now() < deadline && !(text = readIfThere(manifest)).endsWith('}\n'))
        await new Promise((r) => setTimeout(r, 100));
      expect(JSON.parse(text).hosts[0].name).toBe('child-0');
      const enrolled = await anvil(env, ['enroll', '-f', manifest]);
      expectOk(enrolled);
      expectOk(await anvil(env, ['node', 'manage', 'child-0', '--wait', '30']));
    } finally {
      child.kill('SIGTERM');
    }
    expect((await result).code).toBe(0);
  });
});

function readIfThere(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function startShell(script: string) {
  return spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
}
