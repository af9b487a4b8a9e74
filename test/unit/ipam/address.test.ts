import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress, parseCidr } from '../../../ipam/index.js';
import { fromHex, toHex } from '../../../ipam/address.js';

describe('address math', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::5', '::5'],
    ['::0005', '::5'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['fd00:0000:0000:0000:0000:0000:0000:0001', 'fd00::1'],
  ])('reads %s as the canonical %s', (text, canonical) => {
    const a = parseAddress(text);
    expect(formatAddress(a.family, a.value)).toBe(canonical);
  });

  it.each(['10.0.0.256', '1.2.3', '01.2.3.4', ' 10.0.0.1', '1::2::3', 'fe80::1%eth0', '10.0.0.1/24', '', 'banana'])(
    'rejects the malformed address %j',
    (text) => {
      expect(() => parseAddress(text)).toThrow(/Invalid address/);
    },
  );

  it.each([
    ['192.0.2.0/24', 'ipv4', 0xc0000200n, 24],
    ['192.0.2.77/24', 'ipv4', 0xc0000200n, 24],
    ['2001:db8::/64', 'ipv6', 0x20010db8000000000000000000000000n, 64],
    ['0.0.0.0/0', 'ipv4', 0n, 0],
    ['::1/128', 'ipv6', 1n, 128],
  ])('reads the CIDR %s as its network', (text, family, network, prefix) => {
    expect(parseCidr(text)).toEqual({ family, network, prefix });
  });

  it.each([
    '192.0.2.0/33',
    '2001:db8::/129',
    '192.0.2.0/-1',
    '192.0.2.0/',
    '192.0.2.0/ 8',
    '192.0.2.0/08',
    '192.0.2.0',
    '300.0.0.0/8',
    'x/8',
  ])('rejects the malformed CIDR %j', (text) => {
    expect(() => parseCidr(text)).toThrow(/Invalid subnet/);
  });

  it('stores addresses as fixed-width hex whose text order is numeric order', () => {
    const v4 = ['0.0.0.9', '0.0.0.10', '10.0.0.1', '255.255.255.255'].map((t) => toHex('ipv4', parseAddress(t).value));
    expect(v4.every((h) => h.length === 8)).toBe(true);
    expect([...v4].sort()).toEqual(v4);
    const v6 = ['::9', '::a', '::1:0', 'ffff::'].map((t) => toHex('ipv6', parseAddress(t).value));
    expect(v6.every((h) => h.length === 32)).toBe(true);
    expect([...v6].sort()).toEqual(v6);
    expect(formatAddress('ipv6', fromHex(v6[1]!))).toBe('::a');
  });
});
