import { describe, expect, it } from 'vitest';
import { checkJsonDepth, MAX_JSON_DEPTH } from '../../../api/json-body.js';
import { InvalidParameterValue } from '../../../services/errors.js';

/** `depth` arrays one inside another, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('checkJsonDepth', () => {
  it('takes scalars and documents up to the bound', () => {
    for (const doc of [null, 1, 'x', {}, [], { a: [{ b: {} }] }, nested(MAX_JSON_DEPTH)]) {
      expect(() => checkJsonDepth(doc, 'doc')).not.toThrow();
    }
  });

  it('refuses one level more, wherever in the document it is', () => {
    expect(() => checkJsonDepth(nested(MAX_JSON_DEPTH + 1), 'The body')).toThrow(InvalidParameterValue);
    expect(() => checkJsonDepth({ a: 1, b: { c: nested(MAX_JSON_DEPTH - 1) } }, 'The body')).toThrow(
      `The body is nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
  });

  it('measures a document a million levels deep without running out of stack', () => {
    expect(() => checkJsonDepth(nested(1_000_000), 'doc')).toThrow(InvalidParameterValue);
  });
});
