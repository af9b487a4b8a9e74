import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';
import { requirePythonModule, requireTool } from './tools.js';

const run = promisify(execFile);
const haveCli = requireTool('baremetal');
const haveSdk = requirePythonModule('openstack');

// The clients read OS_* variables; none may leak in from the environment.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));

describe.skipIf(!haveCli && !haveSdk)('real OpenStack clients against Anvil', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService('sqlite');
  });
  afterAll(async () => {
    await svc?.close();
  });

  async function baremetal(...args: string[]): Promise<string> {
    const { stdout } = await run('baremetal', ['--os-endpoint', svc.url, '--os-auth-type', 'none', ...args], {
      env: cleanEnv,
      timeout: 120_000,
    });
    return stdout;
  }
  const json = async (...args: string[]) => JSON.parse(await baremetal(...args, '-f', 'json'));

  it.skipIf(!haveCli)('baremetal CLI: enrolls redfish and ipmi nodes, lists, shows, sets and unsets', async () => {
    const rf = await json(
      'node',
      'create',
      '--driver',
      'redfish',
      '--name',
      'cli-redfish',
      '--driver-info',
      'redfish_address=http://127.0.0.1:8000',
      '--driver-info',
      'redfish_system_id=/redfish/v1/Systems/sim-0',
      '--driver-info',
      'redfish_username=admin',
      '--driver-info',
      'redfish_password=cli-secret',
    );
    expect(rf).toMatchObject({ driver: 'redfish', provision_state: 'enroll', power_interface: 'redfish' });
    expect(rf.driver_info.redfish_password).toBe('******');
    const ipmi = await json(
      'node',
      'create',
      '--driver',
      'ipmi',
      '--name',
      'cli-ipmi',
      '--driver-info',
      'ipmi_address=127.0.0.1',
      '--driver-info',
      'ipmi_port=6230',
      '--driver-info',
      'ipmi_username=admin',
      '--driver-info',
      'ipmi_password=cli-secret',
    );
    expect(ipmi).toMatchObject({ driver: 'ipmi', management_interface: 'ipmitool' });

    const list = await json('node', 'list');
    expect(list.map((n: { Name: string }) => n.Name).sort()).toEqual(['cli-ipmi', 'cli-redfish']);
    const long = await json('node', 'list', '--long');
    expect(long[0]).toHaveProperty('Driver');
    const fields = await json('node', 'list', '--fields', 'uuid', 'name', 'driver');
    expect(Object.keys(fields[0]).sort()).toEqual(['Driver', 'Name', 'UUID']);

    await baremetal(
      'node',
      'set',
      'cli-ipmi',
      '--property',
      'cpus=16',
      '--extra',
      'rack=r12',
      '--resource-class',
      'gold',
    );
    let shown = await json('node', 'show', 'cli-ipmi');
    expect(shown.properties).toEqual({ cpus: 16 });
    expect(shown.extra).toEqual({ rack: 'r12' });
    expect(shown.resource_class).toBe('gold');
    await baremetal('node', 'unset', 'cli-ipmi', '--extra', 'rack', '--resource-class');
    shown = await json('node', 'show', 'cli-ipmi');
    expect(shown.extra).toEqual({});
    expect(shown.resource_class).toBeNull();

    const validate = await json('node', 'validate', 'cli-redfish');
    const power = validate.find((v: { Interface: string }) => v.Interface === 'power');
    expect(power.Result).toBe(true);
  });

  it.skipIf(!haveCli)('baremetal CLI: ports, lifecycle with --wait, power, maintenance, undeploy, delete', async () => {
    const node = await json('node', 'create', '--driver', 'fake-hardware', '--name', 'cli-fake');
    const port = await json('port', 'create', '52:54:00:aa:00:01', '--node', node.uuid);
    expect(port.address).toBe('52:54:00:aa:00:01');
    const ports = await json('port', 'list', '--node', 'cli-fake');
    expect(ports.map((p: { Address: string }) => p.Address)).toEqual(['52:54:00:aa:00:01']);
    await expect(baremetal('port', 'create', '52:54:00:AA:00:01', '--node', node.uuid)).rejects.toThrow(
      /already exists/,
    );

    await baremetal('node', 'manage', 'cli-fake', '--wait', '60');
    await baremetal('node', 'provide', 'cli-fake', '--wait', '60');
    await baremetal(
      'node',
      'deploy',
      'cli-fake',
      '--wait',
      '60',
      '--config-drive',
      '{"user_data": "#cloud-config\\n"}',
    );
    expect((await json('node', 'show', 'cli-fake')).provision_state).toBe('active');

    await baremetal('node', 'power', 'on', 'cli-fake');
    await waitFor(async () => (await json('node', 'show', 'cli-fake')).power_state === 'power on');
    await baremetal('node', 'power', 'off', 'cli-fake', '--power-timeout', '30');
    await waitFor(async () => (await json('node', 'show', 'cli-fake')).power_state === 'power off');

    await baremetal('node', 'maintenance', 'set', 'cli-fake', '--reason', 'swap disk');
    expect(await json('node', 'show', 'cli-fake')).toMatchObject({
      maintenance: true,
      maintenance_reason: 'swap disk',
    });
    await baremetal('node', 'maintenance', 'unset', 'cli-fake');
    expect((await json('node', 'show', 'cli-fake')).maintenance).toBe(false);

    await baremetal('node', 'undeploy', 'cli-fake', '--wait', '60');
    expect((await json('node', 'show', 'cli-fake')).provision_state).toBe('available');
    await baremetal('node', 'delete', 'cli-fake');
    await expect(baremetal('node', 'show', 'cli-fake')).rejects.toThrow(/could not be found/);
    expect(await json('port', 'list', '--address', '52:54:00:aa:00:01')).toEqual([]);
  });

  it.skipIf(!haveCli)('baremetal CLI: reports a refused transition as the server words it', async () => {
    await json('node', 'create', '--driver', 'fake-hardware', '--name', 'cli-refused');
    await expect(baremetal('node', 'deploy', 'cli-refused')).rejects.toThrow(
      /can not be performed on node .* while it is in state "enroll"/,
    );
  });

  it.skipIf(!haveSdk)(
    'openstacksdk: create_node, nodes(details=True), set_node_provision_state(wait=True)',
    async () => {
      const { stdout } = await run('/usr/bin/python3', ['test/interop/openstack/sdk_lifecycle.py', svc.url], {
        env: cleanEnv,
        timeout: 180_000,
      });
      const steps = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(steps[0]).toMatchObject({ step: 'create', provision_state: 'available' });
      expect(steps[1]).toMatchObject({ step: 'list', password: '******' });
      expect(steps.slice(2).map((s) => [s.step, s.provision_state])).toEqual([
        ['manage', 'manageable'],
        ['provide', 'available'],
        ['active', 'active'],
        ['deleted', 'available'],
      ]);
    },
  );
});

async function waitFor(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}
