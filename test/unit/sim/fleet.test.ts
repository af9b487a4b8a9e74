import { describe, expect, it } from 'vitest';
import { buildManifest, createFleet } from '../../../sim/host/index.js';

describe('Fleet', () => {
  it('builds 10,000 hosts whose manifest has 10,000 unique MACs per NIC slot', () => {
    const fleet = createFleet({ count: 10_000, seed: 3, nicsPerHost: 1 });
    const manifest = buildManifest(fleet, {
      redfishUrl: 'http://127.0.0.1:8000',
      redfishUsername: 'admin',
      redfishPassword: 'pw',
      ipmiHost: '127.0.0.1',
      ipmiBasePort: 6230,
    });
    expect(manifest.hosts).toHaveLength(10_000);
    const macs = manifest.hosts.flatMap((h) => h.macs);
    expect(new Set(macs).size).toBe(10_000);
    expect(macs.every((m) => /^52:54:00(:[0-9a-f]{2}){3}$/.test(m))).toBe(true);
    expect(new Set(manifest.hosts.map((h) => h.uuid)).size).toBe(10_000);
    expect(manifest.hosts[9_999]).toMatchObject({
      name: 'sim-9999',
      redfish: {
        address: 'redfish+http://127.0.0.1:8000/redfish/v1/Systems/sim-9999',
        username: 'admin',
        password: 'pw',
      },
      ipmi: { address: 'ipmi://127.0.0.1:16229', username: 'admin' },
    });
  });

  it('is the same fleet for the same seed and a different one for another', () => {
    const a = createFleet({ count: 3, seed: 11 });
    const b = createFleet({ count: 3, seed: 11 });
    const c = createFleet({ count: 3, seed: 12 });
    expect(a.hosts.map((h) => h.snapshot())).toEqual(b.hosts.map((h) => h.snapshot()));
    expect(a.hosts[0]?.uuid).not.toBe(c.hosts[0]?.uuid);
    expect(a.hosts[0]?.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('finds hosts by name and uses the prefix', () => {
    const fleet = createFleet({ count: 2, prefix: 'rack1-' });
    expect(fleet.get('rack1-1')?.name).toBe('rack1-1');
    expect(fleet.get('sim-0')).toBeUndefined();
    expect(() => createFleet({ count: -1 })).toThrow(RangeError);
  });
});
