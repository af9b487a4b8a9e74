import { describe, expect, it } from 'vitest';
import type { Allocation } from '../../../../services/allocations/model.js';
import {
  backfillErrors,
  deallocationRefusal,
  noMatchError,
  orderCandidates,
} from '../../../../services/allocations/rules.js';

const allocation = (overrides: Partial<Allocation> = {}): Allocation => ({
  id: 1,
  uuid: 'a',
  name: null,
  node_id: null,
  node_uuid: null,
  state: 'allocating',
  last_error: null,
  resource_class: 'rc',
  traits: [],
  candidate_nodes: [],
  extra: {},
  owner: null,
  created_at: '2024-01-01T00:00:00.000Z',
  updated_at: null,
  ...overrides,
});

describe('allocation rules', () => {
  it('tries a node named as the allocation first, the rest in random order', () => {
    const nodes = ['n1', 'n2', 'web-1', 'n3'].map((name) => ({ name }));
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const order = orderCandidates(nodes, 'web-1');
      expect(order[0]!.name).toBe('web-1');
      expect(order.map((n) => n.name).sort()).toEqual(['n1', 'n2', 'n3', 'web-1']);
      seen.add(order.map((n) => n.name).join());
    }
    expect(seen.size).toBeGreaterThan(1);
    expect(orderCandidates(nodes, null, () => 0.99).map((n) => n.name)).toEqual(['n1', 'n2', 'web-1', 'n3']);
  });

  it("says why nothing matched in Ironic's words", () => {
    expect(noMatchError(allocation(), false)).toBe('no available nodes match the resource class rc');
    expect(noMatchError(allocation({ candidate_nodes: ['u'] }), false)).toBe(
      'none of the requested nodes are available and match the resource class rc',
    );
    expect(noMatchError(allocation({ traits: ['CUSTOM_A', 'CUSTOM_B'] }), true)).toBe(
      'no suitable nodes have the requested traits CUSTOM_A, CUSTOM_B',
    );
    expect(noMatchError(allocation({ traits: ['CUSTOM_A'] }), false)).toBe(
      'no available nodes match the resource class rc',
    );
  });

  it('names every reason a node cannot be backfilled', () => {
    const node = { uuid: 'n', provision_state: 'active' as const, resource_class: 'rc', traits: ['CUSTOM_A'] };
    expect(backfillErrors(node, allocation({ traits: ['CUSTOM_A'], candidate_nodes: ['n'] }))).toEqual([]);
    expect(backfillErrors(node, allocation({ resource_class: null }))).toEqual([]);
    expect(
      backfillErrors(
        { ...node, provision_state: 'available' },
        allocation({ resource_class: 'big', traits: ['CUSTOM_B'], candidate_nodes: ['m'] }),
      ),
    ).toEqual([
      'Node must be in the "active" state, but the current state is "available"',
      'Resource class rc does not match the requested resource class big',
      'List of traits ["CUSTOM_A"] does not match the requested traits ["CUSTOM_B"]',
      'Candidate nodes must be empty or contain the target node, but got ["m"]',
    ]);
  });

  it('keeps an allocation while its node is deployed or mid-transition, unless in maintenance', () => {
    const node = { uuid: 'n', maintenance: false, provision_state: 'available' as const, target_provision_state: null };
    expect(deallocationRefusal(node, 'a')).toBeNull();
    expect(deallocationRefusal({ ...node, provision_state: 'active' }, 'a')).toBe(
      'Cannot remove allocation a for node n, because the node is active (and maintenance mode is off)',
    );
    expect(deallocationRefusal({ ...node, provision_state: 'deploying', target_provision_state: 'active' }, 'a')).toBe(
      'Cannot remove allocation a for node n, because the node is in state deploying where updates are not allowed (and maintenance mode is off)',
    );
    expect(
      deallocationRefusal({ ...node, provision_state: 'deploy failed', target_provision_state: 'active' }, 'a'),
    ).toBeNull();
    expect(deallocationRefusal({ ...node, provision_state: 'active', maintenance: true }, 'a')).toBeNull();
  });
});
