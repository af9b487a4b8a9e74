import { describe, expect, it } from 'vitest';
import type { NodeRow } from '../../../ui/src/fleet.js';
import { hostMatcher, labelMatches, type HostFilters } from '../../../ui/src/pages/host-filters.js';

const NONE: HostFilters = { search: '', provision: '', power: '', driver: '', maintenance: '', fault: '', label: '' };

function node(overrides: Partial<NodeRow>): NodeRow {
  return {
    uuid: '11111111-2222-4333-8444-555555555555',
    name: 'rack1-node07',
    driver: 'ipmi',
    provision_state: 'active',
    target_provision_state: null,
    power_state: 'power on',
    target_power_state: null,
    maintenance: false,
    maintenance_reason: null,
    fault: null,
    last_error: null,
    instance_uuid: null,
    resource_class: null,
    extra: { rack: 'r1', zone: 'a=b' },
    traits: [],
    conductor: null,
    provision_updated_at: null,
    created_at: '2026-12-03T00:00:00Z',
    updated_at: null,
    ...overrides,
  };
}

describe("the hosts table's filters", () => {
  const n = node({});
  const matches = (f: Partial<HostFilters>, found: ReadonlySet<string> = new Set()) =>
    hostMatcher({ ...NONE, ...f }, found)(n);

  it('searches names case aside, uuids by part, and hosts the API found by MAC or address', () => {
    expect(matches({ search: 'NODE07' })).toBe(true);
    expect(matches({ search: '2222-4333' })).toBe(true);
    expect(matches({ search: 'node08' })).toBe(false);
    expect(matches({ search: '52:54:00:00:00:01' }, new Set([n.uuid]))).toBe(true);
  });

  it('filters by state, power, driver, maintenance and fault', () => {
    expect(matches({ provision: 'active', power: 'on', driver: 'ipmi', maintenance: 'false' })).toBe(true);
    expect(matches({ provision: 'available' })).toBe(false);
    expect(matches({ power: 'unknown' })).toBe(false);
    expect(hostMatcher({ ...NONE, power: 'unknown' }, new Set())(node({ power_state: null }))).toBe(true);
    expect(matches({ maintenance: 'true' })).toBe(false);
    expect(matches({ fault: 'any' })).toBe(false);
    expect(hostMatcher({ ...NONE, fault: 'power failure' }, new Set())(node({ fault: 'power failure' }))).toBe(true);
  });

  it('matches labels (string values of extra) by key=value, or by key alone; an ill-formed filter is ignored, not an error', () => {
    expect(matches({ label: 'rack=r1' })).toBe(true);
    expect(matches({ label: 'rack=r2' })).toBe(false);
    expect(matches({ label: 'rack' })).toBe(true);
    expect(matches({ label: 'zone=a=b' })).toBe(true);
    expect(matches({ label: 'missing' })).toBe(false);
    expect(labelMatches.valid('=r1')).toBe(false);
    expect(matches({ label: '=r1' })).toBe(true);
  });
});
