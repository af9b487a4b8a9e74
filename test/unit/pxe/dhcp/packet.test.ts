import { describe, expect, it } from 'vitest';
import { DhcpDecodeError, DhcpEncodeError } from '../../../../pxe/dhcp/errors.js';
import { decodeMessage, encodeMessage, MAGIC_COOKIE } from '../../../../pxe/dhcp/packet.js';
import { BOOT, request } from './fixtures.js';

/** Builds a datagram field by field from RFC 2131 §2 figure 1, independently of encodeMessage. */
function datagram(fields: {
  op: number;
  xid: number;
  flags?: number;
  ciaddr?: number[];
  yiaddr?: number[];
  siaddr?: number[];
  giaddr?: number[];
  mac: number[];
  sname?: string;
  file?: string;
  options: number[];
}): Buffer {
  const head = Buffer.alloc(236);
  head[0] = fields.op;
  head[1] = 1;
  head[2] = 6;
  head.writeUInt32BE(fields.xid, 4);
  head.writeUInt16BE(fields.flags ?? 0, 10);
  Buffer.from(fields.ciaddr ?? [0, 0, 0, 0]).copy(head, 12);
  Buffer.from(fields.yiaddr ?? [0, 0, 0, 0]).copy(head, 16);
  Buffer.from(fields.siaddr ?? [0, 0, 0, 0]).copy(head, 20);
  Buffer.from(fields.giaddr ?? [0, 0, 0, 0]).copy(head, 24);
  Buffer.from(fields.mac).copy(head, 28);
  head.write(fields.sname ?? '', 44, 'latin1');
  head.write(fields.file ?? '', 108, 'latin1');
  return Buffer.concat([head, Buffer.from([99, 130, 83, 99]), Buffer.from(fields.options)]);
}

const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

// A BIOS PXE ROM's DHCPDISCOVER as in PXE spec 2.1 §2.2.1, table 2-1.
const PXE_DISCOVER = datagram({
  op: 1,
  xid: 0x3903f326,
  flags: 0x8000,
  mac: MAC,
  options: [
    53,
    1,
    1,
    57,
    2,
    0x04,
    0xec,
    55,
    7,
    1,
    3,
    6,
    43,
    60,
    66,
    67,
    93,
    2,
    0,
    0,
    94,
    3,
    1,
    2,
    1,
    97,
    17,
    0,
    ...Array.from({ length: 16 }, (_, i) => i),
    60,
    32,
    ...ascii('PXEClient:Arch:00000:UNDI:002001'),
    77,
    4,
    ...ascii('iPXE'),
    255,
  ],
});

describe('DHCP message decoding', () => {
  it('reads every header field and PXE option of a BIOS PXE DHCPDISCOVER', () => {
    const m = decodeMessage(PXE_DISCOVER);
    expect(m).toMatchObject({ op: 'request', htype: 1, hlen: 6, hops: 0, xid: 0x3903f326, secs: 0, flags: 0x8000 });
    expect(m.chaddr.subarray(0, 6)).toEqual(Buffer.from(MAC));
    expect(m.options.messageType).toBe('discover');
    expect(m.options.maxMessageSize).toBe(1260);
    expect(m.options.parameterRequestList).toEqual([1, 3, 6, 43, 60, 66, 67]);
    expect(m.options.clientArch).toEqual([0]);
    expect(m.options.clientNdi).toEqual({ type: 1, major: 2, minor: 1 });
    expect(m.options.clientUuid).toEqual(Buffer.from([0, ...Array.from({ length: 16 }, (_, i) => i)]));
    expect(m.options.vendorClass).toBe('PXEClient:Arch:00000:UNDI:002001');
    expect(m.options.userClass).toEqual(Buffer.from('iPXE'));
  });

  it('concatenates repeated instances of one option (RFC 3396)', () => {
    const m = decodeMessage(
      datagram({
        op: 1,
        xid: 1,
        mac: MAC,
        options: [53, 1, 1, 12, 3, ...ascii('nod'), 0, 0, 12, 2, ...ascii('e1'), 255],
      }),
    );
    expect(m.options.hostname).toBe('node1');
  });

  it('reads options carried in file and sname when option 52 overloads them (RFC 2132 §9.3)', () => {
    const file = Buffer.alloc(128);
    Buffer.from([12, 4, ...ascii('host'), 255]).copy(file);
    const sname = Buffer.alloc(64);
    Buffer.from([60, 9, ...ascii('PXEClient'), 255]).copy(sname);
    const b = datagram({ op: 1, xid: 1, mac: MAC, options: [53, 1, 1, 52, 1, 3, 255] });
    file.copy(b, 108);
    sname.copy(b, 44);
    const m = decodeMessage(b);
    expect(m.options.hostname).toBe('host');
    expect(m.options.vendorClass).toBe('PXEClient');
    expect(m.file).toBe('');
    expect(m.sname).toBe('');
  });

  it('keeps options it does not interpret, such as iPXE option 175, as raw bytes', () => {
    const m = decodeMessage(datagram({ op: 1, xid: 1, mac: MAC, options: [53, 1, 3, 175, 3, 0xb1, 1, 1, 255] }));
    expect(m.options.other).toEqual([{ code: 175, data: Buffer.from([0xb1, 1, 1]) }]);
  });

  it('decodes a datagram without the End option, as some clients send', () => {
    expect(decodeMessage(datagram({ op: 1, xid: 1, mac: MAC, options: [53, 1, 8] })).options.messageType).toBe(
      'inform',
    );
  });

  it.each([
    ['shorter than 240 octets', PXE_DISCOVER.subarray(0, 239)],
    ['op 3', Buffer.concat([Buffer.from([3]), PXE_DISCOVER.subarray(1)])],
    [
      'hlen 17',
      (() => {
        const b = Buffer.from(PXE_DISCOVER);
        b[2] = 17;
        return b;
      })(),
    ],
    [
      'no magic cookie (plain BOOTP)',
      (() => {
        const b = Buffer.from(PXE_DISCOVER);
        b[236] = 0;
        return b;
      })(),
    ],
    ['an option past the end', datagram({ op: 1, xid: 1, mac: MAC, options: [53, 1, 1, 12, 10, 65] })],
    ['an option without its length', datagram({ op: 1, xid: 1, mac: MAC, options: [53, 1, 1, 12] })],
    ['message type 9', datagram({ op: 1, xid: 1, mac: MAC, options: [53, 1, 9, 255] })],
    ['a 3-octet server identifier', datagram({ op: 1, xid: 1, mac: MAC, options: [53, 1, 3, 54, 3, 1, 2, 3, 255] })],
    ['a maximum size below 576', datagram({ op: 1, xid: 1, mac: MAC, options: [53, 1, 1, 57, 2, 0x01, 0x00, 255] })],
    ['an odd-length client architecture', datagram({ op: 1, xid: 1, mac: MAC, options: [53, 1, 1, 93, 1, 0, 255] })],
    ['a router list of 5 octets', datagram({ op: 1, xid: 1, mac: MAC, options: [53, 1, 1, 3, 5, 1, 2, 3, 4, 5, 255] })],
    ['overload value 4', datagram({ op: 1, xid: 1, mac: MAC, options: [53, 1, 1, 52, 1, 4, 255] })],
  ])('rejects a datagram with %s as DhcpDecodeError', (_, bytes) => {
    expect(() => decodeMessage(bytes)).toThrow(DhcpDecodeError);
  });
});

describe('DHCP message encoding', () => {
  it('writes a DHCPOFFER byte for byte as RFC 2131 §2 and RFC 2132 lay it out', () => {
    const offer = encodeMessage({
      ...request('52:54:00:12:34:56', {}),
      op: 'reply',
      flags: 0x8000,
      yiaddr: '192.0.2.10',
      siaddr: '192.0.2.1',
      file: 'undionly.kpxe',
      options: {
        messageType: 'offer',
        serverId: '192.0.2.1',
        leaseTime: 7200,
        subnetMask: '255.255.255.0',
        routers: ['192.0.2.254'],
        dnsServers: ['192.0.2.53', '192.0.2.54'],
        hostname: 'node-1',
        vendorClass: 'PXEClient',
        tftpServer: '192.0.2.1',
        bootfile: 'undionly.kpxe',
        vendorSpecific: Buffer.from([6, 1, 8, 255]),
      },
    });
    const expected = datagram({
      op: 2,
      xid: 0x3903f326,
      flags: 0x8000,
      yiaddr: [192, 0, 2, 10],
      siaddr: [192, 0, 2, 1],
      mac: MAC,
      file: 'undionly.kpxe',
      options: [
        53,
        1,
        2,
        54,
        4,
        192,
        0,
        2,
        1,
        51,
        4,
        0,
        0,
        0x1c,
        0x20,
        1,
        4,
        255,
        255,
        255,
        0,
        3,
        4,
        192,
        0,
        2,
        254,
        6,
        8,
        192,
        0,
        2,
        53,
        192,
        0,
        2,
        54,
        12,
        6,
        ...ascii('node-1'),
        60,
        9,
        ...ascii('PXEClient'),
        66,
        9,
        ...ascii('192.0.2.1'),
        67,
        13,
        ...ascii('undionly.kpxe'),
        43,
        4,
        6,
        1,
        8,
        255,
        255,
      ],
    });
    expect(offer).toEqual(expected);
  });

  it('pads a short message with Pad options to the 300-octet BOOTP minimum (RFC 1542 §2.1)', () => {
    const nak = encodeMessage({
      ...request('52:54:00:12:34:56', { messageType: 'nak', serverId: '192.0.2.1' }),
      op: 'reply',
    });
    const meaningful = datagram({ op: 2, xid: 0x3903f326, mac: MAC, options: [53, 1, 6, 54, 4, 192, 0, 2, 1, 255] });
    expect(nak.length).toBe(300);
    expect(nak.subarray(0, meaningful.length)).toEqual(meaningful);
    expect(nak.subarray(meaningful.length).every((x) => x === 0)).toBe(true);
    expect(nak.subarray(236, 240)).toEqual(MAGIC_COOKIE);
  });

  it('splits an option longer than 255 octets into consecutive instances (RFC 3396)', () => {
    const url = `${BOOT.ipxeScriptUrl}?${'x'.repeat(300)}`;
    const bytes = encodeMessage({
      ...request('52:54:00:12:34:56', { messageType: 'ack', bootfile: url }),
      op: 'reply',
    });
    const at = bytes.indexOf(Buffer.from([67, 255]));
    expect(at).toBeGreaterThan(240);
    expect(bytes[at + 2 + 255]).toBe(67);
    expect(decodeMessage(bytes).options.bootfile).toBe(url);
  });

  it.each([
    ['a file name of 128 octets', { file: 'f'.repeat(128) }],
    ['an sname of 64 octets', { sname: 's'.repeat(64) }],
    ['a bad yiaddr', { yiaddr: '10.0.0.256' }],
    ['an empty host name', { options: { messageType: 'offer' as const, hostname: '' } }],
    ['an uninterpreted option that is a typed one', { options: { other: [{ code: 53, data: Buffer.from([1]) }] } }],
  ])('refuses %s with DhcpEncodeError', (_, fields) => {
    expect(() => encodeMessage({ ...request('52:54:00:12:34:56', {}), ...fields })).toThrow(DhcpEncodeError);
  });
});
