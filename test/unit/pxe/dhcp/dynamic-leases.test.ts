import { describe, expect, it } from 'vitest';
import { LeaseBook, type DynamicRange } from '../../../../pxe/dhcp/dynamic-leases.js';
import { DhcpConfigError } from '../../../../pxe/dhcp/errors.js';

const RANGE: DynamicRange = {
  start: '192.0.2.100',
  end: '192.0.2.102',
  prefix: 24,
  gateway: null,
  dnsServers: [],
  leaseTime: 600,
};
const A = '52:54:00:00:00:0a';
const B = '52:54:00:00:00:0b';
const first = (book: LeaseBook, mac: string, now: number): string | undefined =>
  book.candidates(mac, now).next().value ?? undefined;

describe('discovery lease book', () => {
  it('offers the lowest free address and holds an offer for another client', () => {
    const book = new LeaseBook(RANGE);
    expect(first(book, A, 0)).toBe('192.0.2.100');
    book.apply({ kind: 'offer', mac: A, address: '192.0.2.100' }, 0);
    expect(first(book, B, 1000)).toBe('192.0.2.101');
    expect(book.held(A, 1000)).toMatchObject({ address: '192.0.2.100', state: 'offered' });
  });

  it('frees an unaccepted offer after the hold and a binding after its lease time', () => {
    const book = new LeaseBook(RANGE, { offerHoldMs: 1000, declineHoldMs: 5000 });
    book.apply({ kind: 'offer', mac: A, address: '192.0.2.100' }, 0);
    expect(first(book, B, 1001)).toBe('192.0.2.100');
    book.apply({ kind: 'bind', mac: B, address: '192.0.2.100', leaseTime: 10 }, 2000);
    expect(book.held(A, 2000)).toBeNull();
    expect(first(book, A, 11_999)).toBe('192.0.2.101');
    expect(first(book, A, 12_001)).toBe('192.0.2.100');
  });

  it('gives a returning client its previous address first', () => {
    const book = new LeaseBook(RANGE);
    book.apply({ kind: 'bind', mac: A, address: '192.0.2.102', leaseTime: 1 }, 0);
    expect(first(book, A, 60_000)).toBe('192.0.2.102');
  });

  it('returns a released address to the pool and keeps a declined one out for the hold', () => {
    const book = new LeaseBook(RANGE, { offerHoldMs: 1000, declineHoldMs: 5000 });
    book.apply({ kind: 'bind', mac: A, address: '192.0.2.100', leaseTime: 600 }, 0);
    book.apply({ kind: 'release', mac: A, address: '192.0.2.100' }, 10);
    expect(first(book, B, 20)).toBe('192.0.2.100');
    book.apply({ kind: 'decline', mac: B, address: '192.0.2.100' }, 20);
    expect([...book.candidates(B, 30)]).toEqual(['192.0.2.101', '192.0.2.102']);
    expect(first(book, B, 5021)).toBe('192.0.2.100');
  });

  it('has no candidate once every address is held', () => {
    const book = new LeaseBook(RANGE);
    ['192.0.2.100', '192.0.2.101', '192.0.2.102'].forEach((address, i) =>
      book.apply({ kind: 'bind', mac: `52:54:00:00:01:0${i}`, address, leaseTime: 600 }, 0),
    );
    expect([...book.candidates(A, 1)]).toEqual([]);
  });

  it.each([
    ['a reversed range', { start: '192.0.2.9', end: '192.0.2.1' }],
    ['a range across subnets', { start: '192.0.2.250', end: '192.0.3.5' }],
    ['a non-address', { start: 'pool' }],
  ])('refuses %s with DhcpConfigError', (_, bad) => {
    expect(() => new LeaseBook({ ...RANGE, ...bad })).toThrow(DhcpConfigError);
  });
});
