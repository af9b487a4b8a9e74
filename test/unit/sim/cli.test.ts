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
      expect(config).toMatchObject({ hosts: 3, redfishPort: 9000, password: 'fromfile', bind: '127.0.0.1', ipmiBasePort: 7000 });
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

  it('starts the Redfish face and prints the DESIGN.md manifest', async () => {
    const config = await loadSimConfig(['--hosts', '3', '--redfish-port', '0', '--ipmi-base-port', '7100', '--password', 'pw']);
    if (config === 'help') throw new Error('unexpected help');
    const { redfish, manifest } = await startSim(config);
    try {
      expect(manifest.hosts).toHaveLength(3);
      expect(manifest.hosts[2]).toMatchObject({
        name: 'sim-2',
        redfish: { address: `redfish+${redfish.url}/redfish/v1/Systems/sim-2`, username: 'admin', password: 'pw' },
        ipmi: { address: 'ipmi://127.0.0.1:7102' },
      });
      const res = await fetch(`${redfish.url}/sim/v1/hosts`);
      expect(((await res.json()) as { hosts: unknown[] }).hosts).toHaveLength(3);
    } finally {
      await redfish.close();
    }
  });
});
