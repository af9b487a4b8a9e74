// The few TFTP packets a reading client sends and receives (RFC 1350 §5,
// RFC 2347 for options). Pure encoding and decoding, byte for byte.

const OP_RRQ = 1;
const OP_DATA = 3;
const OP_ACK = 4;
const OP_ERROR = 5;
const OP_OACK = 6;

/** RFC 1350 §5 error code 5, and code 0 "not defined" for a client that stops on purpose. */
export const ERR_NOT_DEFINED = 0;
export const ERR_UNKNOWN_TID = 5;
/** RFC 2347: the server refuses the options; the client may retry without them. */
export const ERR_OPTION_REFUSED = 8;

export type TftpReply =
  | { op: 'data'; block: number; data: Buffer }
  | { op: 'error'; code: number; message: string }
  | { op: 'oack'; options: Map<string, string> };

/** A datagram that is not a reply a reading client can get. */
export class TftpPacketError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TftpPacketError';
  }
}

export function encodeReadRequest(file: string, options: ReadonlyMap<string, string>): Buffer {
  const parts = [file, 'octet'];
  for (const [name, value] of options) parts.push(name, value);
  const opcode = Buffer.alloc(2);
  opcode.writeUInt16BE(OP_RRQ);
  return Buffer.concat([opcode, ...parts.map((p) => Buffer.from(`${p}\0`, 'ascii'))]);
}

export function encodeAck(block: number): Buffer {
  const packet = Buffer.alloc(4);
  packet.writeUInt16BE(OP_ACK, 0);
  packet.writeUInt16BE(block & 0xffff, 2);
  return packet;
}

export function encodeError(code: number, message: string): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(OP_ERROR, 0);
  head.writeUInt16BE(code, 2);
  return Buffer.concat([head, Buffer.from(`${message}\0`, 'ascii')]);
}

export function decodeReply(packet: Buffer): TftpReply {
  if (packet.length < 2) throw new TftpPacketError(`a ${packet.length}-byte datagram has no opcode`);
  const op = packet.readUInt16BE(0);
  switch (op) {
    case OP_DATA:
      if (packet.length < 4) throw new TftpPacketError('DATA shorter than its header');
      return { op: 'data', block: packet.readUInt16BE(2), data: packet.subarray(4) };
    case OP_ERROR: {
      if (packet.length < 4) throw new TftpPacketError('ERROR shorter than its header');
      const end = packet.indexOf(0, 4);
      return {
        op: 'error',
        code: packet.readUInt16BE(2),
        message: packet.subarray(4, end === -1 ? packet.length : end).toString('ascii'),
      };
    }
    case OP_OACK:
      return { op: 'oack', options: decodeOptions(packet.subarray(2)) };
    default:
      throw new TftpPacketError(`opcode ${op} is not a reply to a read request`);
  }
}

/** NUL-terminated name/value pairs; names are case-insensitive (RFC 2347), so lower-cased. */
function decodeOptions(body: Buffer): Map<string, string> {
  const strings: string[] = [];
  let start = 0;
  while (start < body.length) {
    const end = body.indexOf(0, start);
    if (end === -1) throw new TftpPacketError('OACK option not NUL-terminated');
    strings.push(body.subarray(start, end).toString('ascii'));
    start = end + 1;
  }
  if (strings.length % 2 !== 0) throw new TftpPacketError('OACK option without a value');
  const options = new Map<string, string>();
  for (let i = 0; i < strings.length; i += 2)
    options.set((strings[i] as string).toLowerCase(), strings[i + 1] as string);
  return options;
}
