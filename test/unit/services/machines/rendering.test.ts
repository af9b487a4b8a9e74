import { describe, expect, it } from 'vitest';
import { renderNetworkData } from '../../../../services/network-data/index.js';
import { chooseHosts, HOST_LABELS } from '../../../../services/machines/host-choice.js';
import type { MachineSpec } from '../../../../services/machines/model.js';
import { cameBack, remediationStep } from '../../../../services/machines/remediation.js';
import {
  configDriveFor,
  customDeployStep,
  instanceInfoFor,
  inventoryAddresses,
  machineAddresses,
} from '../../../../services/machines/rendering.js';
import type { HostCandidate } from '../../../../services/machines/repository.js';

function spec(overrides: Partial<MachineSpec> = {}): MachineSpec {
  return {
    cluster: 'c1',
    consumer: null,
    role: 'worker',
    host_selector: { match_labels: {}, match_expressions: [], traits: [], resource_class: null },
    failure_domain: null,
    image: { url: 'http://i/os.img', checksum: 'abc', checksum_type: 'sha256', disk_format: 'raw' },
    custom_deploy: null,
    user_data: '#cloud-config\n',
    data_template: { networks: [{ pool: 'v4' }], meta_data: { rack: 'r1', hostname: 'not-this' } },
    automated_cleaning_mode: 'metadata',
    node_reuse: false,
    paused: false,
    ...overrides,
  };
}

const host = (n: number, extra: Record<string, unknown>): HostCandidate => ({
  id: n,
  uuid: `uuid-${n}`,
  name: `h${n}`,
  extra,
  traits: [],
});

describe('what a machine writes on its host', () => {
  it('maps the checksum type onto Ironic image fields and drops the last image', () => {
    const old = { image_source: 'x', image_checksum: 'old', capabilities: 'boot_mode:uefi' };
    expect(instanceInfoFor(old, spec().image!)).toEqual({
      capabilities: 'boot_mode:uefi',
      image_source: 'http://i/os.img',
      image_os_hash_algo: 'sha256',
      image_os_hash_value: 'abc',
      image_disk_format: 'raw',
    });
    const md5 = { url: 'http://i/os.img', checksum: 'd41d', checksum_type: null, disk_format: null };
    expect(instanceInfoFor({}, md5)).toEqual({ image_source: 'http://i/os.img', image_checksum: 'd41d' });
  });

  it('runs a custom deploy as one deploy step', () => {
    const custom = spec({ image: null, custom_deploy: { method: 'install_os', args: { url: 'u' } } });
    expect(customDeployStep(custom)).toEqual([
      { interface: 'deploy', step: 'install_os', priority: 80, args: { url: 'u' } },
    ]);
    expect(customDeployStep(spec())).toEqual([]);
  });

  it('renders a config drive naming the host, with template meta_data and the claimed networks', () => {
    const networkData = renderNetworkData(
      [{ uuid: 'p1', mac: '52:54:00:00:00:01', pxe_enabled: true }],
      [
        {
          pool: 'v4',
          family: 'ipv4',
          address: '192.0.2.10',
          prefix: 24,
          gateway: '192.0.2.1',
          dns_servers: ['192.0.2.53'],
        },
      ],
    );
    const drive = configDriveFor(spec(), { name: 'worker-0' }, { uuid: 'node-1' }, networkData);
    expect(drive.meta_data).toEqual({ rack: 'r1', uuid: 'node-1', name: 'worker-0', hostname: 'worker-0' });
    expect(drive.user_data).toBe('#cloud-config\n');
    expect(drive.network_data).toMatchObject({
      links: [{ ethernet_mac_address: '52:54:00:00:00:01' }],
      networks: [{ ip_address: '192.0.2.10', netmask: '255.255.255.0', network_id: 'v4' }],
      services: [{ type: 'dns', address: '192.0.2.53' }],
    });
  });

  it('lists IPAM then inventory addresses once each, then the hostname', () => {
    const inventory = {
      interfaces: [
        { name: 'eth0', ipv4_address: '192.0.2.10', ipv6_address: 'fe80::1' },
        { name: 'eth1', ipv4_address: '10.0.0.5' },
      ],
    };
    expect(machineAddresses('w-0', [{ address: '192.0.2.10' }], inventoryAddresses(inventory))).toEqual([
      { type: 'InternalIP', address: '192.0.2.10' },
      { type: 'InternalIP', address: '10.0.0.5' },
      { type: 'Hostname', address: 'w-0' },
      { type: 'InternalDNS', address: 'w-0' },
    ]);
    expect(inventoryAddresses(null)).toEqual([]);
  });
});

describe('choosing a host', () => {
  const free = [
    host(1, { rack: 'r1', failure_domain: 'a' }),
    host(2, { rack: 'r1', failure_domain: 'b' }),
    host(3, { rack: 'r2', failure_domain: 'a', [HOST_LABELS.unhealthy]: 'true' }),
    host(4, { rack: 'r1', failure_domain: 'a', [HOST_LABELS.lastCluster]: 'c1', [HOST_LABELS.lastRole]: 'worker' }),
  ];

  it('keeps the hosts of the selector and failure domain, never an unhealthy one', () => {
    const s = spec({
      host_selector: { match_labels: { rack: 'r1' }, match_expressions: [], traits: [], resource_class: null },
      failure_domain: 'a',
    });
    expect(
      chooseHosts(s, free, 'failure_domain')
        .ordered.map((h) => h.id)
        .sort(),
    ).toEqual([1, 4]);
    expect(chooseHosts(spec({ failure_domain: 'a' }), free, 'failure_domain').ordered.map((h) => h.id)).not.toContain(
      3,
    );
  });

  it('says why none fits: the selector, or the failure domain', () => {
    const noRack = spec({
      host_selector: { match_labels: { rack: 'r9' }, match_expressions: [], traits: [], resource_class: null },
    });
    expect(chooseHosts(noRack, free, 'failure_domain').reason).toBe('no available host matches the selector');
    expect(chooseHosts(spec({ failure_domain: 'z' }), free, 'failure_domain').reason).toBe(
      'no host in failure domain z',
    );
  });

  it('with node_reuse, puts the host this cluster and role held last first', () => {
    for (let i = 0; i < 10; i++) {
      expect(chooseHosts(spec({ node_reuse: true }), free, 'failure_domain').ordered[0]!.id).toBe(4);
    }
  });

  it('reads the failure domain from the configured label', () => {
    const zoned = [host(7, { zone: 'east' }), host(8, { zone: 'west' })];
    expect(chooseHosts(spec({ failure_domain: 'west' }), zoned, 'zone').ordered.map((h) => h.id)).toEqual([8]);
  });
});

describe('reboot remediation', () => {
  const up = {
    power_state: 'power on' as const,
    target_power_state: null,
    last_error: null,
    fault: null,
    health: 'OK' as const,
    reservation: null,
  };
  const r = {
    strategy: 'reboot' as const,
    retry_limit: 2,
    timeout: 60,
    attempts: 1,
    started_at: '2026-01-01T00:00:00Z',
  };
  const at = (s: number) => Date.parse('2026-01-01T00:00:00Z') + s * 1000;

  it('reboots first, waits while the reboot runs, and is done when the host is up and healthy', () => {
    expect(remediationStep({ ...r, attempts: 0, started_at: null }, up, at(0))).toEqual({ kind: 'reboot' });
    expect(remediationStep(r, { ...up, target_power_state: 'rebooting' }, at(10))).toEqual({ kind: 'wait' });
    expect(remediationStep(r, up, at(10))).toEqual({ kind: 'recovered' });
    expect(cameBack({ ...up, health: 'Critical' })).toBe(false);
    expect(cameBack({ ...up, fault: 'power failure' })).toBe(false);
  });

  it('reboots again after a failed or timed-out attempt, and gives up at the limit', () => {
    const failed = { ...up, last_error: 'BMC did not answer' };
    expect(remediationStep(r, failed, at(5))).toEqual({ kind: 'reboot' });
    expect(remediationStep(r, { ...up, target_power_state: 'rebooting' }, at(61))).toEqual({ kind: 'reboot' });
    const last = remediationStep({ ...r, attempts: 2 }, failed, at(5));
    expect(last).toEqual({ kind: 'give up', why: 'the host did not come back after 2 reboot(s): BMC did not answer' });
  });
});
