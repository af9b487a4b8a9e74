import { describe, expect, it } from 'vitest';
import { listSettings } from '../../../../services/config/setting.js';
import { settings } from '../../../../services/config/settings.js';

describe('settings table', () => {
  const all = listSettings(settings);

  it('gives every setting its own environment variable and YAML key', () => {
    expect(new Set(all.map((s) => s.spec.env)).size).toBe(all.length);
    expect(new Set(all.map((s) => s.spec.yaml)).size).toBe(all.length);
  });

  it('keeps the names scripts rely on (DESIGN.md §6)', () => {
    const names = [
      'API_HOST',
      'API_PORT',
      'DATABASE_URL',
      'DATA_DIR',
      'AUTH',
      'SECRET_KEY',
      'TFTP_PORT',
      'HTTP_PORT',
      'PUBLIC_URL',
      'DHCP_MODE',
      'DHCP_INTERFACE',
    ];
    expect(all.map((s) => s.spec.env)).toEqual(expect.arrayContaining(names.map((name) => `ANVIL_${name}`)));
  });

  it('has a one-line description for every setting', () => {
    for (const s of all) expect(s.spec.help, s.spec.env).toMatch(/^[^\n]+$/);
  });
});
