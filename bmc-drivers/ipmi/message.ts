// IPMI LAN messages (IPMI v2.0 section 13.8, Tables 13-4 and 13-5): the
// request a remote console sends to the BMC and the response it gets back.
import { ByteReader } from './byte-reader.js';
import { IpmiProtocolError } from './errors.js';

/** The BMC's slave address on IPMB. */
const BMC_SLAVE_ADDRESS = 0x20;
/** Software ID 40h of a remote console, as an address (bit 0 set: software ID). */
const REMOTE_CONSOLE_SOFTWARE_ID = 0x81;

export const NetFn = {
  chassis: 0x00,
  app: 0x06,
} as const;

/** Two's-complement checksum: the bytes plus it sum to zero (section 13.8). */
export function checksum(bytes: Buffer): number {
  let sum = 0;
  for (const byte of bytes) sum = (sum + byte) & 0xff;
  return (0x100 - sum) & 0xff;
}

export interface RequestMessage {
  netFn: number;
  cmd: number;
  /** 6-bit request sequence number, matched in the response. */
  rqSeq: number;
  data: Buffer;
}

export function encodeRequestMessage(request: RequestMessage): Buffer {
  const head = Buffer.from([BMC_SLAVE_ADDRESS, (request.netFn & 0x3f) << 2]); // rsLUN 0
  const body = Buffer.concat([
    Buffer.from([REMOTE_CONSOLE_SOFTWARE_ID, (request.rqSeq & 0x3f) << 2, request.cmd & 0xff]),
    request.data,
  ]);
  return Buffer.concat([head, Buffer.from([checksum(head)]), body, Buffer.from([checksum(body)])]);
}

export interface ResponseMessage {
  /** The response NetFn (the request's plus one). */
  netFn: number;
  cmd: number;
  rqSeq: number;
  completionCode: number;
  data: Buffer;
}

export function decodeResponseMessage(message: Buffer): ResponseMessage {
  const reader = new ByteReader(message, 'IPMI response message');
  reader.u8(); // rqAddr
  const netFnLun = reader.u8();
  reader.u8(); // checksum 1
  if (checksum(message.subarray(0, 2)) !== message.readUInt8(2)) {
    throw new IpmiProtocolError('IPMI response header checksum mismatch');
  }
  reader.u8(); // rsAddr
  const seqLun = reader.u8();
  const cmd = reader.u8();
  const completionCode = reader.u8();
  if (reader.remaining < 1) throw new IpmiProtocolError('IPMI response message truncated: no checksum');
  const data = reader.bytes(reader.remaining - 1);
  const trailing = reader.u8();
  if (checksum(message.subarray(3, message.length - 1)) !== trailing) {
    throw new IpmiProtocolError('IPMI response body checksum mismatch');
  }
  return { netFn: netFnLun >> 2, cmd, rqSeq: seqLun >> 2, completionCode, data };
}
