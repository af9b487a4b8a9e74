import { describe, expect, it } from 'vitest';
import { InvalidIpamInput, validatePool, type PoolSpec } from '../../../ipam/index.js';

const v4: PoolSpec = { gateway: '192.0.2.1', dns_servers: ['192.0.2.53'], ranges: [{ subnet: '192.0.2.0/24' }] };

describe('pool validation', () => {
  it('derives start and end from the subnet, skipping network, broadcast and gateway', () => {
    const pool = validatePool(v4);
    expect(pool.spec.ranges[0]).toMatchObject({ start: '192.0.2.1', end: '192.0.2.254', subnet: '192.0.2.0/24' });
    expect(pool.ranges[0]!.reserved).toEqual([{ lo: 0xc0000201n, hi: 0xc0000201n }]);
    expect(pool.ranges[0]!.network.prefix).toBe(24);
  });

  it('keeps per-range overrides of prefix, gateway and DNS and inherits the rest', () => {
    const pool = validatePool({
      prefix: 24,
      gateway: '10.0.0.1',
      ranges: [
        { start: '10.0.0.10', end: '10.0.0.20' },
        { start: '10.0.1.10', end: '10.0.1.20', gateway: '10.0.1.1', dns_servers: ['1.1.1.1'] },
      ],
    });
    expect(pool.ranges.map((r) => r.gateway)).toEqual([0x0a000001n, 0x0a000101n]);
    expect(pool.ranges[1]!.dnsServers).toEqual([0x01010101n]);
  });

  it('accepts IPv6 and compares addresses by value (::5 is ::0005)', () => {
    const pool = validatePool({
      prefix: 64,
      ranges: [{ start: '2001:db8::0005', end: '2001:db8::ff' }],
      pre_allocations: { a: '2001:db8::5' },
    });
    expect(pool.family).toBe('ipv6');
    expect(pool.spec.ranges[0]!.start).toBe('2001:db8::5');
    expect(pool.spec.pre_allocations).toEqual({ a: '2001:db8::5' });
  });

  it.each<[string, PoolSpec, RegExp]>([
    ['no ranges', { ranges: [] }, /at least one range/],
    ['a range with nothing', { prefix: 24, ranges: [{}] }, /at least one of start, end and subnet/],
    ['a malformed CIDR', { ranges: [{ subnet: '192.0.2.0/33' }] }, /ranges\/0\/subnet/],
    ['a malformed start', { prefix: 24, ranges: [{ start: '192.0.2.300' }] }, /ranges\/0\/start/],
    ['v4 and v6 mixed', { ranges: [{ subnet: '192.0.2.0/24', gateway: '2001:db8::1' }] }, /either IPv4 or IPv6/],
    [
      'v4 and v6 mixed across ranges',
      { ranges: [{ subnet: '192.0.2.0/24' }, { subnet: '2001:db8::/64' }] },
      /either IPv4 or IPv6/,
    ],
    [
      'prefix out of range (v4)',
      { prefix: 33, ranges: [{ start: '192.0.2.1', end: '192.0.2.9' }] },
      /prefix length is 0-32/,
    ],
    ['prefix out of range (v6)', { prefix: 129, ranges: [{ start: '::1', end: '::9' }] }, /prefix length is 0-128/],
    ['a negative prefix', { ranges: [{ start: '192.0.2.1', end: '192.0.2.9', prefix: -1 }] }, /prefix length/],
    ['no prefix at all', { ranges: [{ start: '192.0.2.1', end: '192.0.2.9' }] }, /needs a prefix/],
    ['start after end', { prefix: 24, ranges: [{ start: '192.0.2.9', end: '192.0.2.1' }] }, /is after end/],
    ['a range outside its subnet', { ranges: [{ subnet: '192.0.2.0/24', end: '192.0.3.5' }] }, /outside 192.0.2.0\/24/],
    [
      'overlapping ranges',
      {
        prefix: 24,
        ranges: [
          { start: '192.0.2.1', end: '192.0.2.50' },
          { start: '192.0.2.50', end: '192.0.2.60' },
        ],
      },
      /overlap/,
    ],
    [
      'a gateway outside the subnet',
      { gateway: '192.0.3.1', ranges: [{ subnet: '192.0.2.0/24' }] },
      /gateway 192.0.3.1 is outside/,
    ],
    ['a malformed DNS server', { dns_servers: ['8.8.8'], ranges: [{ subnet: '192.0.2.0/24' }] }, /dns_servers\/0/],
    [
      'a pre-allocation outside the ranges',
      { ranges: [{ subnet: '192.0.2.0/28' }], pre_allocations: { a: '192.0.2.100' } },
      /outside the pool's ranges/,
    ],
    [
      'a pre-allocation on the gateway',
      { gateway: '192.0.2.1', ranges: [{ subnet: '192.0.2.0/28' }], pre_allocations: { a: '192.0.2.1' } },
      /reserved/,
    ],
    [
      'a pre-allocation on an excluded address',
      { excluded: ['192.0.2.2-192.0.2.4'], ranges: [{ subnet: '192.0.2.0/28' }], pre_allocations: { a: '192.0.2.3' } },
      /reserved/,
    ],
    [
      'duplicate pre-allocations (ip-address-manager#1440)',
      { ranges: [{ subnet: '2001:db8::/120' }], pre_allocations: { a: '2001:db8::5', b: '2001:db8::0005' } },
      /both name 2001:db8::5/,
    ],
    [
      'an unknown strategy',
      { allocation_strategy: 'lifo' as never, ranges: [{ subnet: '192.0.2.0/24' }] },
      /allocation_strategy/,
    ],
    [
      'a backwards exclusion',
      { excluded: ['192.0.2.9-192.0.2.1'], ranges: [{ subnet: '192.0.2.0/24' }] },
      /first address is after its last/,
    ],
  ])('rejects %s', (_what, spec, message) => {
    expect(() => validatePool(spec)).toThrow(InvalidIpamInput);
    expect(() => validatePool(spec)).toThrow(message);
  });

  it('allows DNS servers outside the subnet: resolvers usually live on another network', () => {
    expect(validatePool({ ...v4, dns_servers: ['8.8.8.8'] }).spec.dns_servers).toEqual(['8.8.8.8']);
  });

  it('is stable: validating its own canonical output gives the same pool', () => {
    const once = validatePool({
      ...v4,
      excluded: ['192.0.2.0/30', '192.0.2.100'],
      pre_allocations: { n: '192.0.2.50' },
    });
    expect(validatePool(once.spec).spec).toEqual(once.spec);
  });
});
