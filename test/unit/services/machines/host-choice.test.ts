import { describe, expect, it } from 'vitest';
import { chooseHosts, HOST_LABELS } from '../../../../services/machines/host-choice.js';
import type { HostCandidate } from '../../../../services/machines/repository.js';
import { machineSpec as spec } from './machine-spec.js';

const host = (n: number, extra: Record<string, unknown>, driver = 'fake-hardware'): HostCandidate => ({
  id: n,
  uuid: `uuid-${n}`,
  name: `h${n}`,
  driver,
  extra,
  traits: [],
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

  it('gives a custom deploy only hosts whose hardware type has the custom-agent deploy interface', () => {
    const custom = spec({ image: null, custom_deploy: { method: 'install_os', args: {} } });
    const mixed = [host(5, { rack: 'r1' }), host(6, { rack: 'r1' }, 'ipmi'), host(7, { rack: 'r1' }, 'redfish')];
    for (let i = 0; i < 10; i++) {
      expect(
        chooseHosts(custom, mixed, 'failure_domain')
          .ordered.map((h) => h.id)
          .sort(),
      ).toEqual([6, 7]);
    }
    // An image deploys on any of them.
    expect(chooseHosts(spec(), mixed, 'failure_domain').ordered).toHaveLength(3);
  });

  it('says a custom deploy waits for a host with custom-agent when the fitting hosts have none', () => {
    const custom = spec({ image: null, custom_deploy: { method: 'install_os', args: {} } });
    expect(chooseHosts(custom, [host(5, { rack: 'r1' })], 'failure_domain')).toEqual({
      ordered: [],
      reason: 'no available host matching the selector has the custom-agent deploy interface a custom deploy needs',
    });
    // The selector's and the failure domain's reasons come first: they are what the provider changes.
    expect(chooseHosts({ ...custom, failure_domain: 'z' }, [host(5, { rack: 'r1' })], 'failure_domain').reason).toBe(
      'no host in failure domain z',
    );
  });

  it('reads the failure domain from the configured label', () => {
    const zoned = [host(7, { zone: 'east' }), host(8, { zone: 'west' })];
    expect(chooseHosts(spec({ failure_domain: 'west' }), zoned, 'zone').ordered.map((h) => h.id)).toEqual([8]);
  });
});
