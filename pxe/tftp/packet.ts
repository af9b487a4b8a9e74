/**
 * The TFTP wire format: pure encoding and decoding of RFC 1350 packets
 * (RRQ, WRQ, DATA, ACK, ERROR) and the RFC 2347 OACK. Option values stay
 * strings here; what they mean (RFC 2348/2349/7440) is decided in `options.ts`.
 */

const Opcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

/** The error codes of RFC 1350's appendix, plus 8 from RFC 2347. */
export const ErrorCode = {
  NotDefined: 0,
  FileNotFound: 1,
  AccessViolation: 2,
  DiskFull: 3,
  IllegalOperation: 4,
  UnknownTransferId: 5,
  FileExists: 6,
  NoSuchUser: 7,
  OptionNegotiation: 8,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One RFC 2347 option as it appeared on the wire; names are compared case-insensitively. */
export interface WireOption {
  name: string;
  value: string;
}

export type TftpPacket =
  | { op: 'RRQ' | 'WRQ'; filename: string; mode: string; options: WireOption[] }
  | { op: 'DATA'; block: number; data: Uint8Array }
  | { op: 'ACK'; block: number }
  | { op: 'ERROR'; code: number; message: string }
  | { op: 'OACK'; options: WireOption[] };

export type PacketProblem = 'too-short' | 'unknown-opcode' | 'unterminated-string' | 'odd-options' | 'trailing-bytes';

/** A datagram that is not a TFTP packet. The decoder throws this and nothing else. */
export class TftpPacketError extends Error {
  constructor(
    readonly problem: PacketProblem,
    message: string,
  ) {
    super(message);
    this.name = 'TftpPacketError';
  }
}

const opNames = ['RRQ', 'WRQ', 'DATA', 'ACK', 'ERROR', 'OACK'] as const;

export function decodePacket(datagram: Uint8Array): TftpPacket {
  const buf = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  if (buf.length < 2) throw new TftpPacketError('too-short', `datagram of ${buf.length} bytes has no opcode`);
  const opcode = buf.readUInt16BE(0);
  const op = opNames[opcode - 1];
  switch (op) {
    case 'RRQ':
    case 'WRQ': {
      const strings = readStrings(buf, 2);
      const [filename, mode, ...rest] = strings;
      if (filename === undefined || mode === undefined) {
        throw new TftpPacketError('unterminated-string', `${op} needs a filename and a mode`);
      }
      return { op, filename, mode, options: pairUp(rest) };
    }
    case 'DATA':
      if (buf.length < 4) throw new TftpPacketError('too-short', 'DATA shorter than its 4-byte header');
      // A copy, so the packet does not pin (or alias) the socket's receive buffer.
      return { op, block: buf.readUInt16BE(2), data: Uint8Array.prototype.slice.call(buf, 4) };
    case 'ACK':
      if (buf.length < 4) throw new TftpPacketError('too-short', 'ACK shorter than 4 bytes');
      if (buf.length > 4) throw new TftpPacketError('trailing-bytes', `ACK of ${buf.length} bytes`);
      return { op, block: buf.readUInt16BE(2) };
    case 'ERROR': {
      if (buf.length < 4) throw new TftpPacketError('too-short', 'ERROR shorter than its 4-byte header');
      const strings = readStrings(buf, 4);
      if (strings.length === 0) throw new TftpPacketError('unterminated-string', 'ERROR without its message string');
      if (strings.length > 1) throw new TftpPacketError('trailing-bytes', 'ERROR carries one message string');
      return { op, code: buf.readUInt16BE(2), message: strings[0] as string };
    }
    case 'OACK':
      return { op, options: pairUp(readStrings(buf, 2)) };
    default:
      throw new TftpPacketError('unknown-opcode', `unknown opcode ${opcode}`);
  }
}

/** NUL-terminated strings from `offset` to the end; every byte must belong to a terminated string. */
function readStrings(buf: Buffer, offset: number): string[] {
  const strings: string[] = [];
  let start = offset;
  while (start < buf.length) {
    const end = buf.indexOf(0, start);
    if (end === -1) throw new TftpPacketError('unterminated-string', `string at offset ${start} has no NUL`);
    strings.push(buf.toString('utf8', start, end));
    start = end + 1;
  }
  return strings;
}

function pairUp(strings: string[]): WireOption[] {
  if (strings.length % 2 !== 0) throw new TftpPacketError('odd-options', 'an option name without a value');
  const options: WireOption[] = [];
  for (let i = 0; i < strings.length; i += 2)
    options.push({ name: strings[i] as string, value: strings[i + 1] as string });
  return options;
}

export function encodePacket(packet: TftpPacket): Buffer {
  switch (packet.op) {
    case 'RRQ':
    case 'WRQ':
      return Buffer.concat([
        opcodeBytes(Opcode[packet.op]),
        cstring(packet.filename),
        cstring(packet.mode),
        ...packet.options.flatMap((o) => [cstring(o.name), cstring(o.value)]),
      ]);
    case 'DATA':
      return encodeData(packet.block, packet.data);
    case 'ACK': {
      const buf = Buffer.alloc(4);
      buf.writeUInt16BE(Opcode.ACK, 0);
      buf.writeUInt16BE(packet.block & 0xffff, 2);
      return buf;
    }
    case 'ERROR': {
      const head = Buffer.alloc(4);
      head.writeUInt16BE(Opcode.ERROR, 0);
      head.writeUInt16BE(packet.code, 2);
      return Buffer.concat([head, cstring(packet.message)]);
    }
    case 'OACK':
      return Buffer.concat([
        opcodeBytes(Opcode.OACK),
        ...packet.options.flatMap((o) => [cstring(o.name), cstring(o.value)]),
      ]);
  }
}

/** DATA for the 16-bit `block` (callers counting past 65535 pass the wrapped number or the full one). */
export function encodeData(block: number, data: Uint8Array): Buffer {
  return Buffer.concat([dataHeader(block), data]);
}

/** A DATA packet's first four bytes: a transfer sends them and the block as one datagram of two parts. */
export function dataHeader(block: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf.writeUInt16BE(Opcode.DATA, 0);
  buf.writeUInt16BE(block & 0xffff, 2);
  return buf;
}

function opcodeBytes(opcode: number): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(opcode, 0);
  return buf;
}

function cstring(text: string): Buffer {
  // A NUL inside would end the string early on the wire and shift every field after it.
  if (text.includes('\0')) throw new RangeError(`TFTP strings cannot contain NUL: ${JSON.stringify(text)}`);
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.alloc(1)]);
}
