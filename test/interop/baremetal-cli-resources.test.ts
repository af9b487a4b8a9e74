import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';
import { requireTool } from './tools.js';

const run = promisify(execFile);
const haveCli = requireTool('baremetal');

// The clients read OS_* variables; none may leak in from the environment.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));

/** The real `baremetal` CLI on Anvil's resources besides nodes: one describe block per resource. */
describe.skipIf(!haveCli)('baremetal CLI on the resources beside nodes', () => {
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

  describe('chassis', () => {
    it('creates, lists, shows, sets, lists the nodes of, and deletes a chassis', async () => {
      const created = await json('chassis', 'create', '--description', 'rack 7', '--extra', 'row=b');
      expect(created).toMatchObject({ description: 'rack 7', extra: { row: 'b' } });
      const uuid = created.uuid as string;

      expect(await json('chassis', 'list')).toEqual([{ UUID: uuid, Description: 'rack 7' }]);
      const long = await json('chassis', 'list', '--long');
      expect(long[0]).toMatchObject({ UUID: uuid, Extra: { row: 'b' } });
      expect(await json('chassis', 'show', uuid)).toMatchObject({ uuid, description: 'rack 7' });

      await baremetal('chassis', 'set', uuid, '--description', 'rack 8');
      await baremetal('chassis', 'unset', uuid, '--extra', 'row');
      expect(await json('chassis', 'show', uuid)).toMatchObject({ description: 'rack 8', extra: {} });

      const node = await json('node', 'create', '--driver', 'fake-hardware', '--chassis-uuid', uuid);
      expect(node.chassis_uuid).toBe(uuid);
      const nodes = await json('node', 'list', '--chassis', uuid);
      expect(nodes.map((n: { UUID: string }) => n.UUID)).toEqual([node.uuid]);
      await expect(baremetal('chassis', 'delete', uuid)).rejects.toThrow(/contains nodes/);

      await baremetal('node', 'delete', node.uuid);
      await baremetal('chassis', 'delete', uuid);
      await expect(baremetal('chassis', 'show', uuid)).rejects.toThrow(/could not be found/);
      expect(await json('chassis', 'list')).toEqual([]);
    });
  });

  describe('port groups', () => {
    it('creates, lists, sets and deletes a port group, and puts a port in it', async () => {
      const node = await json('node', 'create', '--driver', 'fake-hardware', '--name', 'pg-cli-node');
      const created = await json(
        'port',
        'group',
        'create',
        '--node',
        node.uuid,
        '--address',
        '52:54:00:cc:00:01',
        '--name',
        'bond0',
        '--mode',
        '802.3ad',
        '--property',
        'miimon=100',
      );
      expect(created).toMatchObject({
        address: '52:54:00:cc:00:01',
        name: 'bond0',
        node_uuid: node.uuid,
        mode: '802.3ad',
        properties: { miimon: 100 },
        standalone_ports_supported: true,
      });
      const uuid = created.uuid as string;
      expect(await json('port', 'group', 'list')).toEqual([
        { UUID: uuid, Address: '52:54:00:cc:00:01', Name: 'bond0' },
      ]);
      expect((await json('port', 'group', 'list', '--node', 'pg-cli-node', '--long'))[0]).toMatchObject({
        UUID: uuid,
        Mode: '802.3ad',
      });

      const port = await json(
        'port',
        'create',
        '52:54:00:cc:00:02',
        '--node',
        node.uuid,
        '--port-group',
        uuid,
        '--pxe-enabled',
        'false',
      );
      expect(port.portgroup_uuid).toBe(uuid);
      const members = await json('port', 'list', '--port-group', 'bond0');
      expect(members.map((p: { UUID: string }) => p.UUID)).toEqual([port.uuid]);
      await baremetal('port', 'group', 'set', 'bond0', '--unsupport-standalone-ports', '--extra', 'switch=tor-1');
      expect(await json('port', 'group', 'show', uuid)).toMatchObject({
        standalone_ports_supported: false,
        extra: { switch: 'tor-1' },
      });
      await expect(baremetal('port', 'group', 'delete', 'bond0')).rejects.toThrow(/contains ports/);

      await baremetal('port', 'unset', port.uuid, '--port-group');
      await baremetal('port', 'group', 'delete', 'bond0');
      await expect(baremetal('port', 'group', 'show', uuid)).rejects.toThrow(/could not be found/);
      await baremetal('node', 'delete', node.uuid);
    });
  });

  describe('node console and RAID', () => {
    async function consoleOf(node: string, enabled: boolean) {
      for (let i = 0; i < 50; i++) {
        const shown = await json('node', 'console', 'show', node);
        if (shown.console_enabled === enabled) return shown;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the console of ${node} never became ${enabled ? 'enabled' : 'disabled'}`);
    }

    it('shows, enables and disables a console, and refuses a node without one', async () => {
      const node = await json('node', 'create', '--driver', 'fake-hardware', '--name', 'console-cli-node');
      expect(await json('node', 'console', 'show', 'console-cli-node')).toEqual({
        console_enabled: false,
        console_info: null,
      });
      await baremetal('node', 'console', 'enable', 'console-cli-node');
      expect(await consoleOf('console-cli-node', true)).toEqual({ console_enabled: true, console_info: {} });
      await baremetal('node', 'console', 'disable', 'console-cli-node');
      await consoleOf('console-cli-node', false);

      await baremetal('node', 'set', node.uuid, '--console-interface', 'no-console');
      await expect(baremetal('node', 'console', 'enable', node.uuid)).rejects.toThrow(
        /does not support console \(disabled or not implemented\)/,
      );
      await baremetal('node', 'delete', node.uuid);
    });

    it('sets and clears a target RAID configuration, checked against the RAID schema', async () => {
      const node = await json('node', 'create', '--driver', 'fake-hardware', '--name', 'raid-cli-node');
      const config = { logical_disks: [{ size_gb: 100, raid_level: '1', is_root_volume: true }] };
      await baremetal('node', 'set', 'raid-cli-node', '--target-raid-config', JSON.stringify(config));
      expect(
        (await json('node', 'show', 'raid-cli-node', '--fields', 'target_raid_config')).target_raid_config,
      ).toEqual(config);
      await expect(
        baremetal(
          'node',
          'set',
          'raid-cli-node',
          '--target-raid-config',
          '{"logical_disks": [{"size_gb": 1, "raid_level": "7"}]}',
        ),
      ).rejects.toThrow(/RAID config validation error: '7' is not one of/);
      const properties = await json('driver', 'raid', 'property', 'list', 'fake-hardware');
      expect(properties.map((p: { Property: string }) => p.Property)).toContain('raid_level');
      await baremetal('node', 'unset', 'raid-cli-node', '--target-raid-config');
      expect(
        (await json('node', 'show', 'raid-cli-node', '--fields', 'target_raid_config')).target_raid_config,
      ).toEqual({});
      await baremetal('node', 'delete', node.uuid);
    });
  });

  describe('deploy templates', () => {
    it('creates, lists, shows, sets, unsets and deletes a deploy template', async () => {
      const steps = [
        {
          interface: 'bios',
          step: 'apply_configuration',
          args: { settings: [{ name: 'LogicalProc', value: 'Enabled' }] },
          priority: 150,
        },
      ];
      const created = await json(
        'deploy',
        'template',
        'create',
        'CUSTOM_HYPERTHREADING_ON',
        '--steps',
        JSON.stringify(steps),
        '--extra',
        'team=infra',
      );
      expect(created).toMatchObject({ name: 'CUSTOM_HYPERTHREADING_ON', steps, extra: { team: 'infra' } });
      const uuid = created.uuid as string;

      expect(await json('deploy', 'template', 'list')).toEqual([{ UUID: uuid, Name: 'CUSTOM_HYPERTHREADING_ON' }]);
      expect((await json('deploy', 'template', 'list', '--long'))[0]).toMatchObject({ UUID: uuid, Steps: steps });
      expect(await json('deploy', 'template', 'show', 'CUSTOM_HYPERTHREADING_ON')).toMatchObject({ uuid, steps });

      const raid = [{ interface: 'raid', step: 'create_configuration', args: {}, priority: 10 }];
      await baremetal('deploy', 'template', 'set', uuid, '--name', 'CUSTOM_RAID', '--steps', JSON.stringify(raid));
      await baremetal('deploy', 'template', 'unset', 'CUSTOM_RAID', '--extra', 'team');
      expect(await json('deploy', 'template', 'show', uuid)).toMatchObject({
        name: 'CUSTOM_RAID',
        steps: raid,
        extra: {},
      });
      await expect(
        baremetal('deploy', 'template', 'create', 'not-a-trait', '--steps', JSON.stringify(raid)),
      ).rejects.toThrow(/must be a valid trait/);

      await baremetal('deploy', 'template', 'delete', 'CUSTOM_RAID');
      await expect(baremetal('deploy', 'template', 'show', uuid)).rejects.toThrow(/could not be found/);
      expect(await json('deploy', 'template', 'list')).toEqual([]);
    });
  });

  describe('volume', () => {
    async function powerOf(node: string, state: string) {
      for (let i = 0; i < 50; i++) {
        if ((await json('node', 'show', node, '--fields', 'power_state')).power_state === state) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${node} never reached ${state}`);
    }

    it('creates, lists, sets and deletes volume connectors and targets, changing them only on a powered-off node', async () => {
      const node = await json('node', 'create', '--driver', 'fake-hardware', '--name', 'vol-cli-node');
      const iqn = 'iqn.2010-10.org.openstack:vol-cli';
      const connector = await json(
        'volume',
        'connector',
        'create',
        '--node',
        node.uuid,
        '--type',
        'iqn',
        '--connector-id',
        iqn,
      );
      expect(connector).toMatchObject({ node_uuid: node.uuid, type: 'iqn', connector_id: iqn, extra: {} });
      expect(await json('volume', 'connector', 'list')).toEqual([
        { UUID: connector.uuid, 'Node UUID': node.uuid, Type: 'iqn', 'Connector ID': iqn },
      ]);

      const target = await json(
        'volume',
        'target',
        'create',
        '--node',
        node.uuid,
        '--type',
        'iscsi',
        '--boot-index',
        '0',
        '--volume-id',
        'vol-cli-0',
        '--property',
        'target_lun=0',
      );
      expect(target).toMatchObject({ volume_type: 'iscsi', boot_index: 0, volume_id: 'vol-cli-0' });
      expect((await json('volume', 'target', 'list', '--node', 'vol-cli-node', '--long'))[0]).toMatchObject({
        UUID: target.uuid,
        'Boot Index': 0,
        Properties: { target_lun: 0 },
      });

      // A new node's power state is unknown, not off: Ironic keeps its volumes as they are.
      await expect(baremetal('volume', 'connector', 'delete', connector.uuid)).rejects.toThrow(
        /"volume connector deletion" can not be performed on node/,
      );
      await baremetal('node', 'power', 'off', 'vol-cli-node');
      await powerOf('vol-cli-node', 'power off');
      await baremetal('volume', 'target', 'set', target.uuid, '--boot-index', '1', '--extra', 'disk=root');
      expect(await json('volume', 'target', 'show', target.uuid)).toMatchObject({
        boot_index: 1,
        extra: { disk: 'root' },
      });
      await baremetal('volume', 'connector', 'delete', connector.uuid);
      await baremetal('volume', 'target', 'delete', target.uuid);
      expect(await json('volume', 'connector', 'list')).toEqual([]);
      expect(await json('volume', 'target', 'list')).toEqual([]);
      await baremetal('node', 'delete', node.uuid);
    });
  });

  describe('conductors and the NMI', () => {
    it('lists and shows the conductor, and injects an NMI into a node', async () => {
      const conductors = await json('conductor', 'list', '--os-baremetal-api-version', '1.49');
      expect(conductors).toHaveLength(1);
      const hostname = conductors[0].Hostname as string;
      expect(await json('conductor', 'show', hostname, '--os-baremetal-api-version', '1.49')).toMatchObject({
        hostname,
        alive: true,
      });
      const node = await json('node', 'create', '--driver', 'fake-hardware', '--name', 'nmi-cli-node');
      await baremetal('node', 'inject', 'nmi', node.uuid, '--os-baremetal-api-version', '1.29');
      await expect(
        baremetal('node', 'inject', 'nmi', 'no-such-node', '--os-baremetal-api-version', '1.29'),
      ).rejects.toThrow(/could not be found/);
      await baremetal('node', 'delete', node.uuid);
    });
  });
});
