// Metal3 baremetal-operator's calls, made from Go through gophercloud (Debian's
// golang-github-gophercloud-gophercloud-dev, the client family BMO uses) by
// test/interop/gophercloud/bmo-flow, against a real Anvil: once with no auth
// (gophercloud's noauth client) and once with HTTP basic auth from an htpasswd
// file (its httpbasic client). The program is built once per run, offline,
// from the Debian Go tree.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';
import { requireFile, requireTool } from './tools.js';

const run = promisify(execFile);
const GOPATH = '/usr/share/gocode';
const haveGo = requireTool('go');
const haveGophercloud = requireFile(`${GOPATH}/src/github.com/gophercloud/gophercloud/openstack/baremetal/noauth`);
const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'gophercloud', 'bmo-flow');

const BMO = { user: 'bmo', password: 'bmo-Secret-3e7d' };
const NAME = 'metal3~worker-0';
const MAC = '52:54:00:6b:00:01';

type Step = { step: string; ok: boolean; error?: string } & Record<string, any>;

interface Built {
  binary: string;
  buildMs: number;
}

describe.skipIf(!haveGo || !haveGophercloud)('gophercloud (BMO call sequence) against Anvil', () => {
  let dir: string;
  let built: Built;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-gophercloud-'));
    const binary = path.join(dir, 'bmo-flow');
    const started = Date.now();
    // GOPATH mode against Debian's packaged sources (no module download, no network); no GO* setting leaks in.
    await run('go', ['build', '-o', binary, '.'], {
      cwd: SOURCE,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        GO111MODULE: 'off',
        GOPATH,
        GOCACHE: path.join(dir, 'gocache'),
      },
      timeout: 120_000,
    });
    built = { binary, buildMs: Date.now() - started };
  }, 150_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds offline from the Debian Go tree well under a minute', () => {
    console.info(`bmo-flow built in ${built.buildMs} ms`);
    expect(built.buildMs).toBeLessThan(45_000);
  });

  /** Runs bmo-flow to its end (or first failure) and parses its JSON lines. */
  async function bmoFlow(svc: TestService, args: string[], password = ''): Promise<{ code: number; steps: Step[] }> {
    const argv = ['-endpoint', `${svc.url}/v1/`, '-name', NAME, '-mac', MAC, ...args];
    const env = { PATH: process.env.PATH, IRONIC_PASSWORD: password };
    let stdout: string;
    let code = 0;
    try {
      ({ stdout } = await run(built.binary, argv, { env, timeout: 120_000 }));
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; code?: number };
      stdout = e.stdout ?? '';
      code = typeof e.code === 'number' ? e.code : -1;
      if (stdout === '') throw new Error(`bmo-flow produced nothing (exit ${e.code}): ${e.stderr}`, { cause: err });
    }
    const steps = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Step);
    return { code, steps };
  }

  /** Every step of BMO's sequence, as Ironic answers it. */
  function expectBmoSequence(result: { code: number; steps: Step[] }, expectAuthRefused: boolean): string {
    const failed = result.steps.find((s) => !s.ok);
    expect(failed, JSON.stringify(failed)).toBeUndefined();
    expect(result.code).toBe(0);
    const step = (name: string): Step => {
      const found = result.steps.find((s) => s.step === name);
      if (found === undefined) throw new Error(`bmo-flow printed no step ${name}`);
      return found;
    };

    expect(result.steps.map((s) => s.step)).toEqual([
      'discovery',
      ...(expectAuthRefused ? ['auth-refused'] : []),
      'drivers',
      'lookup-unregistered',
      'create',
      'port-create',
      'get-by-uuid',
      'get-by-name',
      'ports-by-address',
      'ports-by-node',
      'capacity',
      'manage',
      'inspect',
      'patch-automated-clean',
      'provide',
      'patch-instance',
      'patch-checksum',
      'validate',
      'deploy',
      'deployed',
      'power-on-after-deploy',
      'power-off',
      'power-on',
      'maintenance-set',
      'maintenance-unset',
      'undeploy',
      'undeployed',
      'patch-stale-instance',
      'delete',
    ]);

    // gophercloud discovers at 1.89; Anvil answers at that version and BMO then takes its newest feature level.
    expect(step('discovery')).toMatchObject({
      requested: '1.89',
      answered: '1.89',
      min_version: '1.1',
      max_version: '1.110',
      microversion: '1.110',
    });
    expect(step('drivers').drivers).toContain('fake-hardware');
    expect(step('lookup-unregistered')).toMatchObject({ node_status: 404, ports: 0 });

    const created = step('create');
    expect(created).toMatchObject({
      name: NAME,
      driver: 'fake-hardware',
      provision_state: 'enroll',
      properties: { capabilities: 'boot_mode:uefi', cpu_arch: 'x86_64' },
      driver_info: { deploy_kernel: 'http://images.example/ipa.kernel' },
      interfaces: {
        boot: 'fake',
        deploy: 'fake',
        inspect: 'fake',
        management: 'fake',
        power: 'fake',
        raid: 'no-raid',
        vendor: 'no-vendor',
        bios: 'no-bios',
        firmware: 'no-firmware',
      },
    });
    const uuid = created.uuid as string;
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);

    expect(step('port-create')).toMatchObject({ node_uuid: uuid, address: MAC, pxe_enabled: true });
    expect(step('get-by-uuid')).toMatchObject({ uuid, name: NAME, provision_state: 'enroll' });
    expect(step('get-by-name')).toMatchObject({ uuid, name: NAME });
    // fields=node_uuid: the address is not sent back.
    expect(step('ports-by-address')).toMatchObject({ count: 1, node_uuids: [uuid], addresses: [''] });
    expect(step('ports-by-node')).toMatchObject({ count: 1, node_uuids: [uuid] });
    // fields=uuid,name,provision_state,boot_interface as one value: driver is left out.
    expect(step('capacity')).toMatchObject({ count: 1, provision_state: 'enroll', boot_interface: 'fake', driver: '' });

    expect(step('manage')).toMatchObject({ provision_state: 'manageable', last_error: '' });
    expect(step('inspect')).toMatchObject({ provision_state: 'manageable', last_error: '' });
    expect(step('patch-automated-clean').automated_clean).toBe(false);
    expect(step('provide')).toMatchObject({ provision_state: 'available', last_error: '' });
    expect(step('patch-instance')).toMatchObject({
      instance_uuid: '8d3f6a2e-5b1c-4f7a-9e0d-2c4b6a8e1f30',
      instance_info: {
        image_source: 'http://images.example/os.qcow2',
        image_checksum: '9a3d0b2f6c1e8d7a5b4c3e2f1a0b9c8d',
      },
    });
    expect(step('patch-checksum').instance_info).toEqual({
      image_source: 'http://images.example/os.qcow2',
      image_os_hash_algo: 'sha256',
      image_os_hash_value: '5f1e3c9a7b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f',
    });
    expect(step('validate')).toMatchObject({ boot: true, deploy: true, power: true, management: true });
    // Ironic's fake deploy interface never touches power: the node is active and still off.
    expect(step('deploy')).toMatchObject({ provision_state: 'active', power_state: 'power off', last_error: '' });
    // The config drive is kept in instance_info, masked as Ironic masks it.
    expect(step('deployed')).toMatchObject({
      instance_uuid: '8d3f6a2e-5b1c-4f7a-9e0d-2c4b6a8e1f30',
      instance_info: { image_source: 'http://images.example/os.qcow2', configdrive: '******' },
    });
    expect(step('power-on-after-deploy')).toMatchObject({ power_state: 'power on', provision_state: 'active' });
    expect(step('power-off')).toMatchObject({ power_state: 'power off', provision_state: 'active' });
    expect(step('power-on')).toMatchObject({ power_state: 'power on', provision_state: 'active' });
    expect(step('maintenance-set')).toMatchObject({ maintenance: true, maintenance_reason: 'bmo-flow: host paused' });
    expect(step('maintenance-unset')).toMatchObject({ maintenance: false, maintenance_reason: '' });
    expect(step('undeploy')).toMatchObject({ provision_state: 'available', last_error: '' });
    // Ironic's tear down clears the instance fields (conductor/manager.py _do_node_tear_down).
    const undeployed = step('undeployed');
    expect(undeployed.instance_uuid).toBe('');
    expect(undeployed.instance_info).toEqual({});
    expect(step('patch-stale-instance')).toMatchObject({ instance_uuid: '', automated_clean: null });
    expect(step('delete')).toMatchObject({ node_status: 404, ports: 0 });
    return uuid;
  }

  describe('no auth (gophercloud noauth)', () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startTestService('sqlite');
    });
    afterAll(async () => {
      await svc?.close();
    });

    it('plays BMO from discovery to delete; Anvil no longer has the node or its port', async () => {
      const uuid = expectBmoSequence(await bmoFlow(svc, []), false);
      expect((await svc.request('GET', `/v1/nodes/${uuid}`)).status).toBe(404);
      expect((await svc.request('GET', `/v1/ports?address=${MAC}`)).body.ports).toEqual([]);
    }, 120_000);
  });

  describe('HTTP basic auth (gophercloud httpbasic)', () => {
    let svc: TestService;
    let authDir: string;
    const authorization = `Basic ${Buffer.from(`${BMO.user}:${BMO.password}`).toString('base64')}`;
    beforeAll(async () => {
      authDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-gophercloud-auth-'));
      const htpasswd = path.join(authDir, 'htpasswd');
      writeFileSync(htpasswd, `${BMO.user}:${bcrypt.hashSync(BMO.password, 10)}\n`, { mode: 0o600 });
      svc = await startTestService('sqlite', {
        ANVIL_AUTH: 'basic',
        ANVIL_HTPASSWD: htpasswd,
        ANVIL_AUTH_ROLES: `${BMO.user}=operator`,
      });
    });
    afterAll(async () => {
      await svc?.close();
      if (authDir) rmSync(authDir, { recursive: true, force: true });
    });

    it('plays BMO with credentials, a wrong password getting 401; Anvil no longer has the node', async () => {
      const uuid = expectBmoSequence(await bmoFlow(svc, ['-auth', 'basic', '-user', BMO.user], BMO.password), true);
      const res = await svc.request('GET', `/v1/nodes/${uuid}`, undefined, '1.89', { Authorization: authorization });
      expect(res.status).toBe(404);
      expect((await svc.request('GET', `/v1/nodes/${uuid}`)).status).toBe(401);
    }, 120_000);

    it('exits non-zero with the reason when the password is wrong', async () => {
      const result = await bmoFlow(svc, ['-auth', 'basic', '-user', BMO.user], 'not-the-password');
      expect(result.code).toBe(1);
      // Discovery is public, as in Ironic; the first authenticated call is refused.
      expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
        ['discovery', true],
        ['auth-refused', true],
        ['drivers', false],
      ]);
      expect(result.steps[2]?.error).toMatch(
        /^GET http:\/\/127\.0\.0\.1:\d+\/v1\/drivers: HTTP 401 .*Authentication failed: the credentials are not valid/,
      );
    }, 60_000);
  });
});
