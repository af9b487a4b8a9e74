import { describe, expect, it } from 'vitest';
import { insertedId, IpamRowError, isStringList, isStringRecord, rawRows, RowReader } from '../../../ipam/rows.js';

describe('IPAM row reading', () => {
  it('reads a count whether the engine answers a number (SQLite) or decimal text (PostgreSQL)', () => {
    expect(RowReader.of({ n: 3 }, 'count(*)').count('n')).toBe(3);
    expect(RowReader.of({ n: '4096' }, 'count(*)').count('n')).toBe(4096);
    expect(() => RowReader.of({ n: '4e3' }, 'count(*)').count('n')).toThrow(IpamRowError);
  });

  it('reads the rows of a raw query from a pg result object and from SQLite alike', () => {
    const rows = [{ next: '0a000005' }];
    expect(rawRows({ rows, rowCount: 1 }, 'ipam_addresses')[0]!.text('next')).toBe('0a000005');
    expect(rawRows(rows, 'ipam_addresses')[0]!.text('next')).toBe('0a000005');
    expect(insertedId([{ id: 12 }], 'ipam_claims')).toBe(12);
  });

  it('refuses a value of the wrong type, naming the column, and never shows the value', () => {
    const row = RowReader.of({ family: 'ipv5', dns: '{"a": 1}', prefix: null, secret: 42 }, 'ipam_pools');
    expect(() => row.oneOf('family', ['ipv4', 'ipv6'])).toThrow(
      'ipam_pools.family: expected one of ipv4, ipv6, got a string',
    );
    expect(() => row.json('dns', isStringList)).toThrow(
      /ipam_pools\.dns: expected JSON of another shape, got an object/,
    );
    expect(row.nullableInteger('prefix')).toBeNull();
    expect(() => row.text('secret')).toThrow('ipam_pools.secret: expected a string, got a number');
    expect(() => row.text('missing')).toThrow('got no such column');
    expect(() => RowReader.all({ not: 'rows' }, 'ipam_claims')).toThrow(IpamRowError);
  });

  it('checks JSON documents by shape', () => {
    expect(isStringRecord({ a: '10.0.0.1' })).toBe(true);
    expect(isStringRecord({ a: 1 })).toBe(false);
    expect(isStringRecord(['10.0.0.1'])).toBe(false);
    expect(isStringList(['a', 'b'])).toBe(true);
    expect(isStringList(['a', 1])).toBe(false);
  });
});
