import { describe, expect, it } from 'vitest';
import type { BootHost } from '../../../../pxe/backend.js';
import type { DhcpOptions } from '../../../../pxe/dhcp/options.js';
import type { Outcome } from '../../../../pxe/dhcp/outcome.js';
import type { DhcpMessage } from '../../../../pxe/dhcp/packet.js';
import { handleProxy, type ProxyModeConfig } from '../../../../pxe/dhcp/proxy-handler.js';
import { BOOT, KNOWN_MAC, knownHost, pxeClass, request, SERVER_IP, UNKNOWN_MAC } from './fixtures.js';

const CONFIG: ProxyModeConfig = { serverIp: SERVER_IP, boot: BOOT, answerUnknown: false };
const UUID = Buffer.from([0, ...Array.from({ length: 16 }, (_, i) => 0xa0 + i)]);

function run(
  options: DhcpOptions,
  {
    mac = KNOWN_MAC,
    host = knownHost(),
    port = 'dhcp',
    fields = {},
    config = CONFIG,
    source = { address: '0.0.0.0', port: 68 },
  }: {
    mac?: string;
    host?: BootHost | null;
    port?: 'dhcp' | 'pxe';
    fields?: Partial<DhcpMessage>;
    config?: ProxyModeConfig;
    source?: { address: string; port: number };
  } = {},
): Outcome {
  return handleProxy({ request: request(mac, options, fields), host, port, source }, config);
}

describe('proxyDHCP', () => {
  it('answers a PXE DHCPDISCOVER on port 67 with boot options and no address', () => {
    const outcome = run({ messageType: 'discover', ...pxeClass(0), clientUuid: UUID });
    if (outcome.action !== 'reply') throw new Error(outcome.reason);
    const m = outcome.reply.message;
    expect(m).toMatchObject({ yiaddr: '0.0.0.0', ciaddr: '0.0.0.0', siaddr: SERVER_IP, file: 'undionly.kpxe' });
    expect(m.options).toEqual({
      messageType: 'offer',
      serverId: SERVER_IP,
      tftpServer: SERVER_IP,
      bootfile: 'undionly.kpxe',
      vendorClass: 'PXEClient',
      vendorSpecific: Buffer.from([6, 1, 8, 255]),
      clientUuid: UUID,
    });
    expect(outcome.reply.destination).toEqual({ kind: 'broadcast' });
    expect(outcome.served).toBe('proxyDHCPOFFER undionly.kpxe');
  });

  it('answers the boot server DHCPREQUEST on port 4011 with a DHCPACK to its source', () => {
    const outcome = run(
      { messageType: 'request', ...pxeClass(9), userClass: Buffer.from('iPXE') },
      { port: 'pxe', fields: { ciaddr: '192.0.2.150' }, source: { address: '192.0.2.150', port: 68 } },
    );
    if (outcome.action !== 'reply') throw new Error(outcome.reason);
    expect(outcome.reply.message).toMatchObject({ yiaddr: '0.0.0.0', ciaddr: '192.0.2.150' });
    expect(outcome.reply.message.options).toMatchObject({
      messageType: 'ack',
      bootfile: 'http://192.0.2.1:8080/boot/52:54:00:12:34:56.ipxe',
    });
    expect(outcome.reply.message.options.leaseTime).toBeUndefined();
    expect(outcome.reply.destination).toEqual({ kind: 'source', address: '192.0.2.150', port: 68 });
  });

  it('replies to an address-less port 4011 request by broadcast to its source port', () => {
    const outcome = run(
      { messageType: 'request', ...pxeClass(0) },
      { port: 'pxe', source: { address: '0.0.0.0', port: 68 } },
    );
    expect(outcome.action === 'reply' && outcome.reply.destination).toEqual({
      kind: 'source',
      address: '255.255.255.255',
      port: 68,
    });
  });

  it('sends a relayed DISCOVER back through the relay', () => {
    const outcome = run({ messageType: 'discover', ...pxeClass(7) }, { fields: { giaddr: '198.51.100.1' } });
    expect(outcome.action === 'reply' && outcome.reply.destination).toEqual({ kind: 'relay', address: '198.51.100.1' });
  });

  it.each([
    [
      'DHCPREQUEST on port 67 (the site server answers it)',
      { messageType: 'request' as const, ...pxeClass(0) },
      'dhcp' as const,
      'unexpected-message',
    ],
    [
      'DHCPINFORM on port 67',
      { messageType: 'inform' as const, ...pxeClass(0) },
      'dhcp' as const,
      'unexpected-message',
    ],
    [
      'DHCPDISCOVER on port 4011',
      { messageType: 'discover' as const, ...pxeClass(0) },
      'pxe' as const,
      'unexpected-message',
    ],
    ['DHCPRELEASE', { messageType: 'release' as const, ...pxeClass(0) }, 'dhcp' as const, 'unexpected-message'],
    ['DHCPDECLINE', { messageType: 'decline' as const, ...pxeClass(0) }, 'dhcp' as const, 'unexpected-message'],
    [
      'a non-PXE client',
      { messageType: 'discover' as const, vendorClass: 'udhcp 1.35.0' },
      'dhcp' as const,
      'not-a-pxe-client',
    ],
    [
      'an unsupported architecture',
      { messageType: 'discover' as const, ...pxeClass(6) },
      'dhcp' as const,
      'not-a-pxe-client',
    ],
  ])('ignores %s', (_, options, port, reason) => {
    expect(run(options, { port })).toMatchObject({ action: 'ignore', reason });
  });

  it('ignores an unknown MAC unless told to answer unknown hosts', () => {
    const discover = { messageType: 'discover' as const, ...pxeClass(0) };
    expect(run(discover, { mac: UNKNOWN_MAC, host: null })).toMatchObject({ action: 'ignore', reason: 'unknown-host' });
    expect(run(discover, { mac: UNKNOWN_MAC, host: null, config: { ...CONFIG, answerUnknown: true } })).toMatchObject({
      action: 'reply',
    });
  });

  it('answers a known host that has no lease, since the site server gives the address', () => {
    expect(run({ messageType: 'discover', ...pxeClass(0) }, { host: knownHost({ lease: null }) })).toMatchObject({
      action: 'reply',
    });
  });
});
