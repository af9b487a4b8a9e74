import { describe, expect, it } from 'vitest';
import type { BootHost } from '../../../../pxe/backend.js';
import type { HeldLease } from '../../../../pxe/dhcp/dynamic-leases.js';
import { handleFull, type FullModeConfig, type FullModeInput } from '../../../../pxe/dhcp/full-handler.js';
import type { DhcpOptions } from '../../../../pxe/dhcp/options.js';
import type { Outcome } from '../../../../pxe/dhcp/outcome.js';
import type { DhcpMessage } from '../../../../pxe/dhcp/packet.js';
import { BOOT, KNOWN_MAC, knownHost, pxeClass, request, SERVER_IP, UNKNOWN_MAC } from './fixtures.js';

const CONFIG: FullModeConfig = { serverIp: SERVER_IP, defaultLeaseTime: 3600, boot: BOOT, dynamic: null };
const DISCOVERY: FullModeConfig = {
  ...CONFIG,
  dynamic: {
    start: '192.0.2.100',
    end: '192.0.2.199',
    prefix: 24,
    gateway: '192.0.2.254',
    dnsServers: [],
    leaseTime: 600,
  },
};

function run(
  options: DhcpOptions,
  {
    mac = KNOWN_MAC,
    host = knownHost(),
    fields = {},
    held = null,
    candidate = null,
    config = CONFIG,
  }: {
    mac?: string;
    host?: BootHost | null;
    fields?: Partial<DhcpMessage>;
    held?: HeldLease | null;
    candidate?: string | null;
    config?: FullModeConfig;
  } = {},
): Outcome {
  const input: FullModeInput = { request: request(mac, options, fields), host, held, candidate };
  return handleFull(input, config);
}

function reply(outcome: Outcome) {
  if (outcome.action !== 'reply') throw new Error(`expected a reply, got ${outcome.action} ${outcome.reason}`);
  return outcome.reply;
}

describe('full mode: known hosts get their static lease', () => {
  it('answers a DHCPDISCOVER with a DHCPOFFER of the static lease and its options', () => {
    const r = reply(run({ messageType: 'discover' }));
    expect(r.message).toMatchObject({
      op: 'reply',
      xid: 0x3903f326,
      yiaddr: '192.0.2.10',
      siaddr: '0.0.0.0',
      file: '',
    });
    expect(r.message.options).toEqual({
      messageType: 'offer',
      serverId: SERVER_IP,
      leaseTime: 7200,
      subnetMask: '255.255.255.0',
      routers: ['192.0.2.254'],
      dnsServers: ['192.0.2.53'],
      hostname: 'node-1',
    });
    expect(r.destination).toEqual({ kind: 'broadcast' });
  });

  it('uses the default lease time for a lease without one', () => {
    const host = knownHost({ lease: { address: '192.0.2.10', prefix: 24, gateway: null, dnsServers: [] } });
    expect(reply(run({ messageType: 'discover' }, { host })).message.options).toEqual({
      messageType: 'offer',
      serverId: SERVER_IP,
      leaseTime: 3600,
      subnetMask: '255.255.255.0',
      hostname: 'node-1',
    });
  });

  it('adds the boot file for a PXE client and records what was served', () => {
    const outcome = run({ messageType: 'discover', ...pxeClass(0) });
    const r = reply(outcome);
    expect(r.message).toMatchObject({ siaddr: SERVER_IP, file: 'undionly.kpxe' });
    expect(r.message.options).toMatchObject({
      tftpServer: SERVER_IP,
      bootfile: 'undionly.kpxe',
      vendorClass: 'PXEClient',
    });
    expect(outcome.served).toBe('DHCPOFFER 192.0.2.10 undionly.kpxe');
  });

  it('gives an iPXE client its script URL', () => {
    const r = reply(
      run({
        messageType: 'request',
        serverId: SERVER_IP,
        requestedIp: '192.0.2.10',
        ...pxeClass(9),
        userClass: Buffer.from('iPXE'),
      }),
    );
    expect(r.message.options.bootfile).toBe('http://192.0.2.1:8080/boot/52:54:00:12:34:56.ipxe');
    expect(r.message.file).toBe('http://192.0.2.1:8080/boot/52:54:00:12:34:56.ipxe');
  });

  it.each([
    ['SELECTING (server id, requested address)', { serverId: SERVER_IP, requestedIp: '192.0.2.10' }, {}, 'broadcast'],
    ['INIT-REBOOT (requested address only)', { requestedIp: '192.0.2.10' }, {}, 'broadcast'],
    ['RENEWING/REBINDING (ciaddr only)', {}, { ciaddr: '192.0.2.10' }, 'client'],
  ] as Array<[string, DhcpOptions, Partial<DhcpMessage>, string]>)(
    'acknowledges a DHCPREQUEST in %s for the right address',
    (_, options, fields, kind) => {
      const outcome = run({ messageType: 'request', ...options }, { fields });
      const r = reply(outcome);
      expect(r.message.options.messageType).toBe('ack');
      expect(r.message.yiaddr).toBe('192.0.2.10');
      expect(r.message.ciaddr).toBe(fields.ciaddr ?? '0.0.0.0');
      expect(r.message.options.leaseTime).toBe(7200);
      expect(r.destination.kind).toBe(kind);
      expect(outcome.served).toBe('DHCPACK 192.0.2.10');
    },
  );

  it.each([
    ['SELECTING a different address', { serverId: SERVER_IP, requestedIp: '192.0.2.11' }, {}],
    ['INIT-REBOOT with a stale address', { requestedIp: '198.51.100.7' }, {}],
    ['RENEWING a different address', {}, { ciaddr: '192.0.2.11' }],
  ])('refuses a DHCPREQUEST %s with a broadcast DHCPNAK', (_, options, fields) => {
    const r = reply(run({ messageType: 'request', ...options }, { fields }));
    expect(r.message.options.messageType).toBe('nak');
    expect(r.message.yiaddr).toBe('0.0.0.0');
    expect(r.message.options.leaseTime).toBeUndefined();
    expect(r.message.options.message).toBeTruthy();
    expect(r.destination).toEqual({ kind: 'broadcast' });
  });

  it('stays silent when the client selected another server', () => {
    expect(run({ messageType: 'request', serverId: '192.0.2.2', requestedIp: '192.0.2.77' })).toMatchObject({
      action: 'ignore',
      reason: 'other-server',
    });
  });

  it('answers DHCPINFORM with configuration but no address or lease time, unicast to ciaddr', () => {
    const r = reply(run({ messageType: 'inform', ...pxeClass(0) }, { fields: { ciaddr: '192.0.2.10' } }));
    expect(r.message).toMatchObject({ yiaddr: '0.0.0.0', ciaddr: '192.0.2.10', file: 'undionly.kpxe' });
    expect(r.message.options.leaseTime).toBeUndefined();
    expect(r.message.options.subnetMask).toBe('255.255.255.0');
    expect(r.destination).toEqual({ kind: 'client', address: '192.0.2.10' });
  });

  it.each([
    ['DHCPRELEASE', { messageType: 'release' as const, serverId: SERVER_IP }, { ciaddr: '192.0.2.10' }, null],
    [
      'DHCPDECLINE',
      { messageType: 'decline' as const, serverId: SERVER_IP, requestedIp: '192.0.2.10' },
      {},
      'DHCPDECLINE 192.0.2.10',
    ],
  ])('never answers %s, and keeps the static lease reserved', (_, options, fields, served) => {
    expect(run(options, { fields })).toEqual({ action: 'ignore', reason: 'never-answered', lease: null, served });
  });

  it.each([
    ['DHCPOFFER', 'offer' as const],
    ['DHCPACK', 'ack' as const],
    ['DHCPNAK', 'nak' as const],
  ])('ignores a client sending %s', (_, messageType) => {
    expect(run({ messageType })).toMatchObject({ action: 'ignore', reason: 'not-a-client-request' });
  });

  it('ignores BOOTREPLY messages (another server) and messages without option 53', () => {
    expect(run({ messageType: 'discover' }, { fields: { op: 'reply' } })).toMatchObject({
      reason: 'not-a-client-request',
    });
    expect(run({})).toMatchObject({ reason: 'no-message-type' });
  });

  it('ignores a lease that is not on the network the request came from', () => {
    const host = knownHost({ lease: { address: '198.51.100.10', prefix: 24, gateway: null, dnsServers: [] } });
    expect(run({ messageType: 'discover' }, { host })).toMatchObject({ action: 'ignore', reason: 'wrong-network' });
    expect(
      reply(run({ messageType: 'request', requestedIp: '198.51.100.10' }, { host })).message.options.messageType,
    ).toBe('nak');
  });
});

describe('full mode: relays (giaddr)', () => {
  const relayed = knownHost({
    lease: { address: '198.51.100.10', prefix: 24, gateway: '198.51.100.1', dnsServers: [] },
  });

  it('offers a lease on the relay subnet and replies to the relay on the server port', () => {
    const r = reply(run({ messageType: 'discover' }, { host: relayed, fields: { giaddr: '198.51.100.1', hops: 1 } }));
    expect(r.message).toMatchObject({ yiaddr: '198.51.100.10', giaddr: '198.51.100.1', hops: 0 });
    expect(r.destination).toEqual({ kind: 'relay', address: '198.51.100.1' });
  });

  it('sends a DHCPNAK through the relay with the broadcast bit set', () => {
    const r = reply(
      run(
        { messageType: 'request', requestedIp: '198.51.100.99' },
        { host: relayed, fields: { giaddr: '198.51.100.1' } },
      ),
    );
    expect(r.message.options.messageType).toBe('nak');
    expect(r.message.flags & 0x8000).toBe(0x8000);
    expect(r.destination).toEqual({ kind: 'relay', address: '198.51.100.1' });
  });

  it('ignores a relayed DISCOVER for a lease on another subnet', () => {
    expect(run({ messageType: 'discover' }, { fields: { giaddr: '198.51.100.1' } })).toMatchObject({
      reason: 'wrong-network',
    });
  });
});

describe('full mode: unknown hosts and the discovery range', () => {
  it.each([
    ['DHCPDISCOVER', { messageType: 'discover' as const }, {}],
    ['DHCPREQUEST (INIT-REBOOT)', { messageType: 'request' as const, requestedIp: '192.0.2.10' }, {}],
    ['DHCPREQUEST (RENEWING)', { messageType: 'request' as const }, { ciaddr: '192.0.2.10' }],
    ['DHCPINFORM', { messageType: 'inform' as const }, { ciaddr: '192.0.2.10' }],
  ])('ignores %s from an unknown MAC when discovery is off', (_, options, fields) => {
    expect(run(options, { mac: UNKNOWN_MAC, host: null, fields })).toMatchObject({
      action: 'ignore',
      reason: 'unknown-host',
    });
  });

  it('ignores a known host without a lease when discovery is off', () => {
    expect(run({ messageType: 'discover' }, { host: knownHost({ lease: null }) })).toMatchObject({
      reason: 'no-lease',
    });
  });

  it('offers an unknown MAC the candidate address when discovery is on, and holds it', () => {
    const outcome = run(
      { messageType: 'discover', ...pxeClass(9) },
      { mac: UNKNOWN_MAC, host: null, candidate: '192.0.2.100', config: DISCOVERY },
    );
    const r = reply(outcome);
    expect(r.message).toMatchObject({ yiaddr: '192.0.2.100', file: 'ipxe.efi' });
    expect(r.message.options).toMatchObject({ leaseTime: 600, routers: ['192.0.2.254'] });
    expect(outcome.lease).toEqual({ kind: 'offer', mac: UNKNOWN_MAC, address: '192.0.2.100' });
  });

  it('ignores an unknown MAC when the discovery range is exhausted', () => {
    expect(run({ messageType: 'discover' }, { mac: UNKNOWN_MAC, host: null, config: DISCOVERY })).toMatchObject({
      reason: 'unknown-host',
    });
  });

  it('binds the offered discovery address on DHCPREQUEST and NAKs another one', () => {
    const held: HeldLease = { address: '192.0.2.100', state: 'offered', expires: 1 };
    const ok = run(
      { messageType: 'request', serverId: SERVER_IP, requestedIp: '192.0.2.100' },
      { mac: UNKNOWN_MAC, host: null, held, config: DISCOVERY },
    );
    expect(reply(ok).message.options.messageType).toBe('ack');
    expect(ok.lease).toEqual({ kind: 'bind', mac: UNKNOWN_MAC, address: '192.0.2.100', leaseTime: 600 });
    const wrong = run(
      { messageType: 'request', serverId: SERVER_IP, requestedIp: '192.0.2.150' },
      { mac: UNKNOWN_MAC, host: null, held, config: DISCOVERY },
    );
    expect(reply(wrong).message.options.messageType).toBe('nak');
    expect(wrong.lease).toBeNull();
  });

  it('NAKs a SELECTING request for an offer that has expired', () => {
    const r = reply(
      run(
        { messageType: 'request', serverId: SERVER_IP, requestedIp: '192.0.2.100' },
        { mac: UNKNOWN_MAC, host: null, config: DISCOVERY },
      ),
    );
    expect(r.message.options.messageType).toBe('nak');
  });

  it('frees a held offer when the client selects another server', () => {
    const held: HeldLease = { address: '192.0.2.100', state: 'offered', expires: 1 };
    const outcome = run(
      { messageType: 'request', serverId: '192.0.2.2' },
      { mac: UNKNOWN_MAC, host: null, held, config: DISCOVERY },
    );
    expect(outcome).toMatchObject({
      action: 'ignore',
      reason: 'other-server',
      lease: { kind: 'release', address: '192.0.2.100' },
    });
  });

  it.each([
    ['DHCPRELEASE', { messageType: 'release' as const, serverId: SERVER_IP }, { ciaddr: '192.0.2.100' }, 'release'],
    [
      'DHCPDECLINE',
      { messageType: 'decline' as const, serverId: SERVER_IP, requestedIp: '192.0.2.100' },
      {},
      'decline',
    ],
  ])('returns a discovery address on %s', (_, options, fields, kind) => {
    const held: HeldLease = { address: '192.0.2.100', state: 'bound', expires: 1 };
    expect(run(options, { mac: UNKNOWN_MAC, host: null, held, fields, config: DISCOVERY }).lease).toEqual({
      kind,
      mac: UNKNOWN_MAC,
      address: '192.0.2.100',
    });
  });
});
