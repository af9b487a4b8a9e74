import { describe, expect, it } from 'vitest';
import { isSameView } from '../../../../services/feed/same-view.js';

const view = { uuid: 'u', provision_state: 'active', traits: ['A'], updated_at: '2030-01-01T00:00:00.000Z' };

describe('isSameView', () => {
  it('holds two views equal whatever their key order and updated_at', () => {
    expect(isSameView(view, { updated_at: null, traits: ['A'], provision_state: 'active', uuid: 'u' })).toBe(true);
  });

  it('tells any other difference: a value, a nested value, a field missing on one side', () => {
    expect(isSameView(view, { ...view, provision_state: 'deploying' })).toBe(false);
    expect(isSameView(view, { ...view, traits: ['A', 'B'] })).toBe(false);
    expect(isSameView(view, { ...view, last_error: null })).toBe(false);
    expect(isSameView(view, { ...view, traits: ['A'], extra: {} })).toBe(false);
    expect(isSameView({ ...view, extra: { rack: 'r1' } }, { ...view, extra: { rack: 'r2' } })).toBe(false);
    expect(isSameView({ ...view, extra: { rack: 'r1' } }, { ...view, extra: { rack: 'r1', row: null } })).toBe(false);
  });

  it("holds a node's extra equal whatever the order of its keys, at any depth", () => {
    const extra = { rack: 'r1', labels: { zone: 'a', tier: 'gpu' }, ports: [1, 2] };
    const reordered = { ports: [1, 2], labels: { tier: 'gpu', zone: 'a' }, rack: 'r1' };
    expect(isSameView({ ...view, extra }, { ...view, extra: reordered })).toBe(true);
    expect(isSameView({ ...view, extra }, { ...view, extra: { ...reordered, ports: [2, 1] } })).toBe(false);
  });
});
