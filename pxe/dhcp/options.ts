/**
 * DHCP options (RFC 2132, with RFC 3004 user class, RFC 4578 PXE client
 * options and RFC 3396 long options): the typed form the handlers use and
 * its wire encoding. Options this server does not interpret are kept as raw
 * bytes so a decoded message re-encodes to what came in.
 */
import { DhcpDecodeError, DhcpEncodeError } from './errors.js';
import { isIpv4, readIpv4, writeIpv4 } from './ipv4.js';

export const OptionCode = {
  pad: 0,
  subnetMask: 1,
  routers: 3,
  dnsServers: 6,
  hostname: 12,
  vendorSpecific: 43,
  requestedIp: 50,
  leaseTime: 51,
  overload: 52,
  messageType: 53,
  serverId: 54,
  parameterRequestList: 55,
  message: 56,
  maxMessageSize: 57,
  vendorClass: 60,
  clientId: 61,
  tftpServer: 66,
  bootfile: 67,
  userClass: 77,
  clientArch: 93,
  clientNdi: 94,
  clientUuid: 97,
  end: 255,
} as const;

const TYPED_CODES: ReadonlySet<number> = new Set(Object.values(OptionCode));

/** RFC 2132 §9.6 option 53 values, in code order (code = index + 1). */
const MESSAGE_TYPES = ['discover', 'offer', 'request', 'decline', 'ack', 'nak', 'release', 'inform'] as const;
export type DhcpMessageType = (typeof MESSAGE_TYPES)[number];

/** RFC 4578 §2.2 option 94: the UNDI version of a PXE client's network interface. */
export interface ClientNdi {
  type: number;
  major: number;
  minor: number;
}

export interface RawOption {
  code: number;
  data: Buffer;
}

export interface DhcpOptions {
  messageType?: DhcpMessageType;
  serverId?: string;
  leaseTime?: number;
  subnetMask?: string;
  routers?: string[];
  dnsServers?: string[];
  hostname?: string;
  requestedIp?: string;
  parameterRequestList?: number[];
  /** Option 56: why a DHCPNAK was sent (RFC 2131 §4.3.2). */
  message?: string;
  maxMessageSize?: number;
  vendorClass?: string;
  clientId?: Buffer;
  tftpServer?: string;
  bootfile?: string;
  /** Option 77 as sent; read it with userClasses() (RFC 3004 instances, or iPXE's bare string). */
  userClass?: Buffer;
  clientArch?: number[];
  clientNdi?: ClientNdi;
  /** Option 97 as sent: type octet (0 = GUID) then the identifier; echoed to PXE clients. */
  clientUuid?: Buffer;
  vendorSpecific?: Buffer;
  /** Options this code does not interpret, in the order received. */
  other?: RawOption[];
}

/**
 * Reads the option area(s) of a message. RFC 3396: several instances of one
 * code are one option, their data concatenated in order. Pads are skipped,
 * End stops a region; an option running past its region is malformed.
 */
export function collectRawOptions(regions: Buffer[]): Map<number, Buffer> {
  const parts = new Map<number, Buffer[]>();
  for (const region of regions) {
    let i = 0;
    while (i < region.length) {
      const code = region[i]!;
      if (code === OptionCode.end) break;
      if (code === OptionCode.pad) {
        i += 1;
        continue;
      }
      if (i + 1 >= region.length) throw new DhcpDecodeError(`option ${code} has no length octet`);
      const len = region[i + 1]!;
      if (i + 2 + len > region.length) throw new DhcpDecodeError(`option ${code} runs past the end of the packet`);
      const list = parts.get(code) ?? [];
      list.push(region.subarray(i + 2, i + 2 + len));
      parts.set(code, list);
      i += 2 + len;
    }
  }
  return new Map([...parts].map(([code, list]) => [code, Buffer.concat(list)]));
}

/** Interprets raw options; a value of the wrong shape for its code is a DhcpDecodeError. */
export function parseOptions(raw: Map<number, Buffer>): DhcpOptions {
  const o: DhcpOptions = {};
  for (const [code, data] of raw) {
    switch (code) {
      case OptionCode.messageType: {
        const t = MESSAGE_TYPES[exact(code, data, 1).readUInt8(0) - 1];
        if (!t) throw new DhcpDecodeError(`unknown DHCP message type ${data[0]}`);
        o.messageType = t;
        break;
      }
      case OptionCode.serverId:
        o.serverId = readIpv4(exact(code, data, 4), 0);
        break;
      case OptionCode.requestedIp:
        o.requestedIp = readIpv4(exact(code, data, 4), 0);
        break;
      case OptionCode.subnetMask:
        o.subnetMask = readIpv4(exact(code, data, 4), 0);
        break;
      case OptionCode.leaseTime:
        o.leaseTime = exact(code, data, 4).readUInt32BE(0);
        break;
      case OptionCode.routers:
        o.routers = addressList(code, data);
        break;
      case OptionCode.dnsServers:
        o.dnsServers = addressList(code, data);
        break;
      case OptionCode.hostname:
        o.hostname = text(code, data);
        break;
      case OptionCode.parameterRequestList:
        o.parameterRequestList = [...atLeast(code, data, 1)];
        break;
      case OptionCode.message:
        o.message = text(code, data);
        break;
      case OptionCode.maxMessageSize: {
        // RFC 2132 §9.10: the minimum legal value is 576.
        const size = exact(code, data, 2).readUInt16BE(0);
        if (size < 576) throw new DhcpDecodeError(`maximum message size ${size} is below 576`);
        o.maxMessageSize = size;
        break;
      }
      case OptionCode.vendorClass:
        o.vendorClass = text(code, data);
        break;
      case OptionCode.clientId:
        o.clientId = Buffer.from(atLeast(code, data, 2));
        break;
      case OptionCode.tftpServer:
        o.tftpServer = text(code, data);
        break;
      case OptionCode.bootfile:
        o.bootfile = text(code, data);
        break;
      case OptionCode.userClass:
        o.userClass = Buffer.from(atLeast(code, data, 1));
        break;
      case OptionCode.clientArch: {
        // RFC 4578 §2.1: a list of 16-bit architecture types.
        if (data.length === 0 || data.length % 2 !== 0)
          throw new DhcpDecodeError('client architecture length is not a multiple of 2');
        o.clientArch = Array.from({ length: data.length / 2 }, (_, k) => data.readUInt16BE(k * 2));
        break;
      }
      case OptionCode.clientNdi: {
        const d = exact(code, data, 3);
        o.clientNdi = { type: d[0]!, major: d[1]!, minor: d[2]! };
        break;
      }
      case OptionCode.clientUuid:
        o.clientUuid = Buffer.from(atLeast(code, data, 1));
        break;
      case OptionCode.vendorSpecific:
        o.vendorSpecific = Buffer.from(data);
        break;
      case OptionCode.overload: {
        // Validated only: decodeMessage has already read the overloaded `file`/`sname` as options.
        const v = exact(code, data, 1).readUInt8(0);
        if (v !== 1 && v !== 2 && v !== 3) throw new DhcpDecodeError(`option overload value ${v} is not 1, 2 or 3`);
        break;
      }
      default:
        (o.other ??= []).push({ code, data: Buffer.from(data) });
    }
  }
  return o;
}

/**
 * The option area of an outgoing message: 53 first (some PXE ROMs look for
 * it there), then a fixed order, then uninterpreted options, then End.
 * Values over 255 octets are split into consecutive instances (RFC 3396).
 */
export function encodeOptions(o: DhcpOptions): Buffer {
  const out: Buffer[] = [];
  const put = (code: number, data: Buffer): void => {
    if (data.length === 0) {
      out.push(Buffer.from([code, 0]));
      return;
    }
    for (let i = 0; i < data.length; i += 255) {
      const chunk = data.subarray(i, i + 255);
      out.push(Buffer.from([code, chunk.length]), chunk);
    }
  };
  if (o.messageType) put(OptionCode.messageType, Buffer.from([MESSAGE_TYPES.indexOf(o.messageType) + 1]));
  if (o.serverId !== undefined) put(OptionCode.serverId, ipBytes([o.serverId]));
  if (o.leaseTime !== undefined) put(OptionCode.leaseTime, uint(o.leaseTime, 4));
  if (o.subnetMask !== undefined) put(OptionCode.subnetMask, ipBytes([o.subnetMask]));
  if (o.routers?.length) put(OptionCode.routers, ipBytes(o.routers));
  if (o.dnsServers?.length) put(OptionCode.dnsServers, ipBytes(o.dnsServers));
  if (o.hostname !== undefined) put(OptionCode.hostname, nvt(OptionCode.hostname, o.hostname));
  if (o.requestedIp !== undefined) put(OptionCode.requestedIp, ipBytes([o.requestedIp]));
  if (o.parameterRequestList?.length) put(OptionCode.parameterRequestList, Buffer.from(o.parameterRequestList));
  if (o.message !== undefined) put(OptionCode.message, nvt(OptionCode.message, o.message));
  if (o.maxMessageSize !== undefined) put(OptionCode.maxMessageSize, uint(o.maxMessageSize, 2));
  if (o.vendorClass !== undefined) put(OptionCode.vendorClass, nvt(OptionCode.vendorClass, o.vendorClass));
  if (o.clientId !== undefined) put(OptionCode.clientId, o.clientId);
  if (o.tftpServer !== undefined) put(OptionCode.tftpServer, nvt(OptionCode.tftpServer, o.tftpServer));
  if (o.bootfile !== undefined) put(OptionCode.bootfile, nvt(OptionCode.bootfile, o.bootfile));
  if (o.userClass !== undefined) put(OptionCode.userClass, o.userClass);
  if (o.clientArch?.length) put(OptionCode.clientArch, Buffer.concat(o.clientArch.map((a) => uint(a, 2))));
  if (o.clientNdi) put(OptionCode.clientNdi, Buffer.from([o.clientNdi.type, o.clientNdi.major, o.clientNdi.minor]));
  if (o.clientUuid !== undefined) put(OptionCode.clientUuid, o.clientUuid);
  if (o.vendorSpecific !== undefined) put(OptionCode.vendorSpecific, o.vendorSpecific);
  for (const { code, data } of o.other ?? []) {
    if (!Number.isInteger(code) || code <= OptionCode.pad || code >= OptionCode.end || TYPED_CODES.has(code)) {
      throw new DhcpEncodeError(`option code ${code} cannot be sent as an uninterpreted option`);
    }
    put(code, data);
  }
  out.push(Buffer.from([OptionCode.end]));
  return Buffer.concat(out);
}

/** PXE spec 2.1 §2.4.3 vendor option 43, sub-option 6 PXE_DISCOVERY_CONTROL. */
export const PXE_DISCOVERY_CONTROL = 6;
/**
 * Bit 3 of PXE_DISCOVERY_CONTROL: "if set, and a boot file name is present in
 * the initial DHCP or ProxyDHCP offer packet, download the boot file", so
 * the client skips boot server discovery on port 4011.
 */
export const PXE_USE_BOOT_FILE = 0x08;

/** Encapsulated PXE options for option 43: sub-option 6 then the End sub-option. */
export function pxeVendorOptions(discoveryControl: number): Buffer {
  return Buffer.from([PXE_DISCOVERY_CONTROL, 1, discoveryControl, OptionCode.end]);
}

function exact(code: number, data: Buffer, len: number): Buffer {
  if (data.length !== len) throw new DhcpDecodeError(`option ${code} has length ${data.length}, expected ${len}`);
  return data;
}

function atLeast(code: number, data: Buffer, len: number): Buffer {
  if (data.length < len)
    throw new DhcpDecodeError(`option ${code} has length ${data.length}, expected at least ${len}`);
  return data;
}

function addressList(code: number, data: Buffer): string[] {
  if (data.length === 0 || data.length % 4 !== 0)
    throw new DhcpDecodeError(`option ${code} length is not a multiple of 4`);
  return Array.from({ length: data.length / 4 }, (_, k) => readIpv4(data, k * 4));
}

/** NVT ASCII per RFC 2132 §2; many clients append a NUL, which is not part of the value. */
function text(code: number, data: Buffer): string {
  return atLeast(code, data, 1).toString('latin1').replace(/\0+$/, '');
}

/**
 * RFC 3004 §4: a sequence of (length, data) instances. Clients such as iPXE
 * send the class as plain text instead; when the bytes do not parse as
 * instances that exactly fill the option, the whole option is one class.
 */
export function userClasses(data: Buffer): string[] {
  const classes: string[] = [];
  let i = 0;
  while (i < data.length) {
    const len = data[i]!;
    if (len === 0 || i + 1 + len > data.length) return [data.toString('latin1')];
    classes.push(data.subarray(i + 1, i + 1 + len).toString('latin1'));
    i += 1 + len;
  }
  return classes;
}

/** A text option must carry at least one octet (RFC 2132 §2 minimum length 1). */
function nvt(code: number, value: string): Buffer {
  if (value.length === 0) throw new DhcpEncodeError(`option ${code} cannot be empty`);
  return Buffer.from(value, 'latin1');
}

function ipBytes(addresses: string[]): Buffer {
  const b = Buffer.alloc(addresses.length * 4);
  addresses.forEach((a, k) => {
    if (!isIpv4(a)) throw new DhcpEncodeError(`not an IPv4 address: ${a}`);
    writeIpv4(a, b, k * 4);
  });
  return b;
}

function uint(value: number, bytes: 2 | 4): Buffer {
  const max = bytes === 2 ? 0xffff : 0xffffffff;
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new DhcpEncodeError(`${value} does not fit in ${bytes} octets`);
  const b = Buffer.alloc(bytes);
  if (bytes === 2) b.writeUInt16BE(value);
  else b.writeUInt32BE(value);
  return b;
}
