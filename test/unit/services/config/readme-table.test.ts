import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSettingsTable, withSettingsTable } from '../../../../services/config/readme-table.js';

describe('README configuration table', () => {
  it('is the table the settings render', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    expect(
      withSettingsTable(readme, renderSettingsTable()),
      "README.md's configuration table differs from services/config/settings.ts: run `npm run docs:settings`",
    ).toBe(readme);
  });

  it('gives each setting a row with its variable, YAML key, default and meaning', () => {
    const lines = renderSettingsTable().split('\n');
    expect(lines[0]).toBe('| variable | YAML key | default | meaning |');
    expect(lines).toContain(
      '| `ANVIL_POWER_SYNC_INTERVAL` | `conductor.power_sync_interval` | `120` | Seconds between power sync passes (0: off) |',
    );
    expect(lines.find((line) => line.startsWith('| `ANVIL_CONDUCTOR_NAME` '))).toContain('| the host name |');
    expect(lines.find((line) => line.startsWith('| `ANVIL_CONDUCTOR_GROUP` '))).toContain('| `""` |');
    expect(lines.find((line) => line.startsWith('| `ANVIL_DHCP_INTERFACE` '))).toContain('| unset |');
  });

  it('replaces only what stands between the markers, and says when they are missing', () => {
    const readme = 'intro\n<!-- settings:begin -->\nold\n<!-- settings:end -->\nafter\n';
    expect(withSettingsTable(readme, 'new')).toBe(
      'intro\n<!-- settings:begin -->\nnew\n<!-- settings:end -->\nafter\n',
    );
    expect(() => withSettingsTable('no markers', 'new')).toThrow('settings:begin');
  });
});
