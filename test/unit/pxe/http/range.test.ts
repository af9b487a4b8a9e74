import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideRange } from '../../../../pxe/http/index.js';

describe('decideRange', () => {
  it.each([
    [undefined, 100, { kind: 'whole' }],
    ['bytes=0-0', 100, { kind: 'partial', start: 0, end: 0 }],
    ['bytes=10-', 100, { kind: 'partial', start: 10, end: 99 }],
    ['bytes=-30', 100, { kind: 'partial', start: 70, end: 99 }],
    ['bytes=-300', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=90-1000', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=100-200', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=-5', 0, { kind: 'unsatisfiable' }],
    ['bytes=5-1', 100, { kind: 'whole' }],
    ['bytes=0-1,3-4', 100, { kind: 'whole' }],
    ['bytes=-', 100, { kind: 'whole' }],
    ['pages=0-1', 100, { kind: 'whole' }],
    ['bytes=99999999999999999999-', 100, { kind: 'whole' }],
  ] as const)('%s of %i bytes → %o', (header, size, decision) => {
    expect(decideRange(header, size)).toEqual(decision);
  });

  it('never answers a range outside the file (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat({ max: 1e12 }), (tail, size) => {
        const decision = decideRange(`bytes=${tail}`, size);
        if (decision.kind === 'partial') {
          expect(decision.start).toBeGreaterThanOrEqual(0);
          expect(decision.end).toBeGreaterThanOrEqual(decision.start);
          expect(decision.end).toBeLessThan(size);
        }
      }),
    );
  });
});
