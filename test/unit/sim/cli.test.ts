import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSimConfig, startSim } from '../../../sim/cli.js';

describe('anvil-sim', () => {
  it('reads flags over a YAML config over defaults', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anvil-sim-cli-'));
    try {
      const file = join(dir, 'sim.yaml');
      writeFileSync(file, 'hosts: 5\nredfish-port: 9000\nipmi_base_port: 7000\npassword: fromfile\n');
      const config = await loadSimConfig(['--config', file, '--hosts', '3']);
      expect(config).toMatchObject({
        hosts: 3,
        redfishPort: 9000,
        password: 'fromfile',
        bind: '127.0.0.1',
        ipmiBasePort: 7000,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad values with a readable message', async () => {
    await expect(loadSimConfig(['--hosts', 'many'])).rejects.toThrow(/hosts/);
    await expect(loadSimConfig(['--tls-cert', 'a.pem'])).rejects.toThrow(/go together/);
    await expect(loadSimConfig(['--nope'])).rejects.toThrow();
    expect(await loadSimConfig(['--help'])).toBe('help');
  });

  it('starts both faces and prints the DESIGN.md manifest with the ports it bound', async () => {
    const config = await loadSimConfig([
      '--hosts',
      '3',
      '--redfish-port',
      '0',
      '--ipmi-base-port',
      '0',
      '--password',
      'pw',
    ]);
    if (config === 'help') throw new Error('unexpected help');
    const sim = await startSim(config);
    const { redfish, manifest } = sim;
    try {
      expect(manifest.hosts).toHaveLength(3);
      expect(manifest.hosts[2]).toMatchObject({
        name: 'sim-2',
        redfish: { address: `redfish+${redfish.url}/redfish/v1/Systems/sim-2`, username: 'admin', password: 'pw' },
        ipmi: { address: expect.stringMatching(/^ipmi:\/\/127\.0\.0\.1:\d+$/) },
      });
      const res = await fetch(`${redfish.url}/sim/v1/hosts`);
      expect(((await res.json()) as { hosts: unknown[] }).hosts).toHaveLength(3);
      expect(new Set(manifest.hosts.map((h) => h.ipmi.address)).size).toBe(3);
    } finally {
      await sim.close();
    }
  });

  it('boots hosts against the Anvil named by --boot-http and --boot-tftp', async () => {
    const config = await loadSimConfig([
      '--hosts',
      '1',
      '--redfish-port',
      '0',
      '--ipmi-base-port',
      '0',
      '--boot-http',
      'http://127.0.0.1:8080',
      '--boot-tftp',
      '127.0.0.1:6969',
      '--heartbeat-interval-ms',
      '500',
    ]);
    if (config === 'help') throw new Error('unexpected help');
    expect(config).toMatchObject({
      bootHttp: 'http://127.0.0.1:8080',
      bootTftp: '127.0.0.1:6969',
      heartbeatIntervalMs: 500,
    });
    await expect(loadSimConfig(['--boot-tftp', 'anvil.example:69'])).rejects.toThrow(/bootTftp: expected IP:PORT/);
    const sim = await startSim(config);
    try {
      expect(sim.boot?.diskRoot).toMatch(/anvil-sim-disks-/);
    } finally {
      await sim.close();
    }
  });

  it('boots hosts by DHCP with --dhcp, trusting the CA file --api-ca names, and refuses --dhcp with --boot-http', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anvil-sim-cli-'));
    try {
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
      const config = await loadSimConfig([
        '--hosts',
        '1',
        '--redfish-port',
        '0',
        '--ipmi-base-port',
        '0',
        '--dhcp',
        '--api-ca',
        ca,
      ]);
      if (config === 'help') throw new Error('unexpected help');
      expect(config).toMatchObject({ dhcp: true, apiCa: ca });
      expect(config.bootHttp).toBeUndefined();
      expect(await loadSimConfig(['--hosts', '1'])).toMatchObject({ dhcp: false });
      await expect(loadSimConfig(['--dhcp', '--boot-http', 'http://127.0.0.1:8080'])).rejects.toThrow(
        /leave out --boot-http/,
      );
      // Started, the hosts have their firmware; nothing asks DHCP until one powers on with PXE first.
      const sim = await startSim(config);
      try {
        expect(sim.boot?.diskRoot).toMatch(/anvil-sim-disks-/);
      } finally {
        await sim.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
