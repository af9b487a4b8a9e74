/**
 * The BOOTP/DHCP message (RFC 2131 §2, figure 1): a 236-octet fixed header,
 * the magic cookie 99.130.83.99 (RFC 2132 §2), then options. Pure encoding
 * and decoding; decodeMessage throws DhcpDecodeError and nothing else.
 */
import { DhcpDecodeError, DhcpEncodeError } from './errors.js';
import { readIpv4, writeIpv4 } from './ipv4.js';
import { OptionCode, collectRawOptions, encodeOptions, parseOptions, type DhcpOptions } from './options.js';

export const MAGIC_COOKIE = Buffer.from([99, 130, 83, 99]);
const FIXED_HEADER = 236;
const SNAME_OFFSET = 44;
const SNAME_LENGTH = 64;
const FILE_OFFSET = 108;
const FILE_LENGTH = 128;
/** RFC 1542 §2.1: relays and old clients may drop BOOTP messages shorter than 300 octets. */
const MINIMUM_MESSAGE = 300;
/** RFC 2131 §2: the leftmost bit of `flags`, set by a client that cannot take unicast before it has an address. */
export const BROADCAST_FLAG = 0x8000;
/** RFC 1700 hardware type 1 (10 Mb Ethernet, used for all Ethernet). */
export const HTYPE_ETHERNET = 1;

export interface DhcpMessage {
  /** BOOTREQUEST (1) from a client or relay, BOOTREPLY (2) from a server. */
  op: 'request' | 'reply';
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** All 16 octets of the field; the hardware address is the first `hlen`. */
  chaddr: Buffer;
  sname: string;
  file: string;
  options: DhcpOptions;
}

export function decodeMessage(bytes: Uint8Array): DhcpMessage {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < FIXED_HEADER + MAGIC_COOKIE.length) {
    throw new DhcpDecodeError(`${b.length} octets is shorter than a DHCP message (240)`);
  }
  const opCode = b[0]!;
  if (opCode !== 1 && opCode !== 2) throw new DhcpDecodeError(`op ${opCode} is neither BOOTREQUEST nor BOOTREPLY`);
  const hlen = b[2]!;
  if (hlen > 16) throw new DhcpDecodeError(`hlen ${hlen} exceeds the 16-octet chaddr field`);
  if (!b.subarray(FIXED_HEADER, FIXED_HEADER + 4).equals(MAGIC_COOKIE)) {
    throw new DhcpDecodeError('no DHCP magic cookie (a plain BOOTP message)');
  }
  const sname = b.subarray(SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH);
  const file = b.subarray(FILE_OFFSET, FILE_OFFSET + FILE_LENGTH);
  const main = collectRawOptions([b.subarray(FIXED_HEADER + 4)]);
  // RFC 2132 §9.3 option overload: `file` then `sname` carry more options (in that order).
  const overload = main.get(OptionCode.overload);
  const overloaded = overload?.length === 1 ? overload[0]! : 0;
  const extra: Buffer[] = [];
  if (overloaded & 1) extra.push(file);
  if (overloaded & 2) extra.push(sname);
  const raw = extra.length ? collectRawOptions([b.subarray(FIXED_HEADER + 4), ...extra]) : main;
  return {
    op: opCode === 1 ? 'request' : 'reply',
    htype: b[1]!,
    hlen,
    hops: b[3]!,
    xid: b.readUInt32BE(4),
    secs: b.readUInt16BE(8),
    flags: b.readUInt16BE(10),
    ciaddr: readIpv4(b, 12),
    yiaddr: readIpv4(b, 16),
    siaddr: readIpv4(b, 20),
    giaddr: readIpv4(b, 24),
    chaddr: Buffer.from(b.subarray(28, 44)),
    sname: overloaded & 2 ? '' : cString(sname),
    file: overloaded & 1 ? '' : cString(file),
    options: parseOptions(raw),
  };
}

/** The wire form, padded with Pad options to at least 300 octets. Never uses option overload. */
export function encodeMessage(m: DhcpMessage): Buffer {
  const options = encodeOptions(m.options);
  const size = Math.max(MINIMUM_MESSAGE, FIXED_HEADER + MAGIC_COOKIE.length + options.length);
  const b = Buffer.alloc(size);
  b[0] = m.op === 'request' ? 1 : 2;
  b[1] = byte('htype', m.htype);
  if (m.hlen > 16) throw new DhcpEncodeError(`hlen ${m.hlen} exceeds the 16-octet chaddr field`);
  b[2] = byte('hlen', m.hlen);
  b[3] = byte('hops', m.hops);
  b.writeUInt32BE(m.xid >>> 0, 4);
  b.writeUInt16BE(m.secs & 0xffff, 8);
  b.writeUInt16BE(m.flags & 0xffff, 10);
  writeIpv4(m.ciaddr, b, 12);
  writeIpv4(m.yiaddr, b, 16);
  writeIpv4(m.siaddr, b, 20);
  writeIpv4(m.giaddr, b, 24);
  if (m.chaddr.length > 16) throw new DhcpEncodeError('chaddr is longer than 16 octets');
  m.chaddr.copy(b, 28);
  putCString(b, 'sname', m.sname, SNAME_OFFSET, SNAME_LENGTH);
  putCString(b, 'file', m.file, FILE_OFFSET, FILE_LENGTH);
  MAGIC_COOKIE.copy(b, FIXED_HEADER);
  options.copy(b, FIXED_HEADER + MAGIC_COOKIE.length);
  return b;
}

/** The client's Ethernet address, lower-case and colon separated, as BootBackend keys hosts; null for other link types. */
export function clientMac(m: DhcpMessage): string | null {
  if (m.htype !== HTYPE_ETHERNET || m.hlen !== 6) return null;
  return [...m.chaddr.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** The 16-octet chaddr field for an Ethernet address written as `aa:bb:cc:dd:ee:ff`. */
export function chaddrFromMac(mac: string): Buffer {
  const octets = mac.split(/[:-]/).map((h) => Number.parseInt(h, 16));
  if (octets.length !== 6 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new DhcpEncodeError(`not an Ethernet address: ${mac}`);
  }
  const b = Buffer.alloc(16);
  Buffer.from(octets).copy(b);
  return b;
}

function cString(field: Buffer): string {
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString('latin1');
}

/** sname and file are NUL-terminated (RFC 2131 §2), so they hold one octet less than their field. */
function putCString(b: Buffer, name: string, value: string, offset: number, length: number): void {
  const bytes = Buffer.from(value, 'latin1');
  if (bytes.length >= length)
    throw new DhcpEncodeError(`${name} is ${bytes.length} octets; the field holds ${length - 1}`);
  bytes.copy(b, offset);
}

function byte(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 255)
    throw new DhcpEncodeError(`${name} ${value} is not an octet`);
  return value;
}
