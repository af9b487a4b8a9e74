import { describe, expect, it } from 'vitest';
import { viewKey } from '../../../../services/feed/view-key.js';

const view = { uuid: 'u', provision_state: 'active', traits: ['A'], updated_at: '2030-01-01T00:00:00.000Z' };

describe('viewKey', () => {
  it('is the same for two views whatever their key order and updated_at', () => {
    expect(viewKey({ updated_at: null, traits: ['A'], provision_state: 'active', uuid: 'u' })).toBe(viewKey(view));
  });

  it('tells any other difference: a value, a nested value, a field missing on one side', () => {
    const others = [
      { ...view, provision_state: 'deploying' },
      { ...view, traits: ['A', 'B'] },
      { ...view, last_error: null },
      { ...view, traits: ['A'], extra: {} },
      { ...view, extra: { rack: 'r1' } },
      { ...view, extra: { rack: 'r2' } },
      { ...view, extra: { rack: 'r1', row: null } },
      { ...view, traits: 'A' },
      { ...view, traits: [['A']] },
    ];
    const keys = [viewKey(view), ...others.map(viewKey)];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("is the same for a node's extra whatever the order of its keys, at any depth; lists keep their order", () => {
    const extra = { rack: 'r1', labels: { zone: 'a', tier: 'gpu' }, ports: [1, 2] };
    const reordered = { ports: [1, 2], labels: { tier: 'gpu', zone: 'a' }, rack: 'r1' };
    expect(viewKey({ ...view, extra: reordered })).toBe(viewKey({ ...view, extra }));
    expect(viewKey({ ...view, extra: { ...reordered, ports: [2, 1] } })).not.toBe(viewKey({ ...view, extra }));
  });

  it('fits the column it is stored in', () => {
    expect(viewKey(view).length).toBeLessThanOrEqual(64);
  });
});
