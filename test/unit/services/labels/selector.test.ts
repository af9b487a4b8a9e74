import { describe, expect, it } from 'vitest';
import { labelsOf, matchesSelector, type LabelSelector } from '../../../../services/labels/index.js';

const selector = (s: Partial<LabelSelector>): LabelSelector => ({ match_labels: {}, match_expressions: [], ...s });

describe('host labels and selectors', () => {
  it('takes only the string values of extra as labels', () => {
    expect(labelsOf({ rack: 'r1', slots: 4, gpu: true, nested: { a: 'b' }, zone: '' })).toEqual({
      rack: 'r1',
      zone: '',
    });
  });

  it('matches every match_labels pair, and an empty selector matches any host', () => {
    expect(matchesSelector(selector({ match_labels: { rack: 'r1', role: 'cp' } }), { rack: 'r1', role: 'cp' })).toBe(
      true,
    );
    expect(matchesSelector(selector({ match_labels: { rack: 'r1', role: 'cp' } }), { rack: 'r1' })).toBe(false);
    expect(matchesSelector(selector({}), {})).toBe(true);
  });

  it.each([
    ['In', ['r1', 'r2'], { rack: 'r2' }, true],
    ['In', ['r1'], { rack: 'r3' }, false],
    ['In', ['r1'], {}, false],
    ['NotIn', ['r1'], { rack: 'r3' }, true],
    ['NotIn', ['r1'], { rack: 'r1' }, false],
    // As Kubernetes: a host without the label is not in any set.
    ['NotIn', ['r1'], {}, true],
    ['Exists', [], { rack: '' }, true],
    ['Exists', [], {}, false],
    ['DoesNotExist', [], {}, true],
    ['DoesNotExist', [], { rack: 'r1' }, false],
  ] as const)('%s %j on %j is %s', (operator, values, labels, expected) => {
    const s = selector({ match_expressions: [{ key: 'rack', operator, values: [...values] }] });
    expect(matchesSelector(s, labels)).toBe(expected);
  });

  it('needs labels and expressions to hold together', () => {
    const s = selector({
      match_labels: { role: 'worker' },
      match_expressions: [{ key: 'rack', operator: 'In', values: ['r1'] }],
    });
    expect(matchesSelector(s, { role: 'worker', rack: 'r1' })).toBe(true);
    expect(matchesSelector(s, { role: 'cp', rack: 'r1' })).toBe(false);
    expect(matchesSelector(s, { role: 'worker', rack: 'r2' })).toBe(false);
  });
});
