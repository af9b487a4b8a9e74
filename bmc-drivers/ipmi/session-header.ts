// IPMI session wrappers (IPMI v2.0 section 13.6, Table 13-8): the IPMI 1.5
// form, used before a session exists (Get Channel Authentication
// Capabilities), and the IPMI 2.0 / RMCP+ form with its payload types
// (section 13.27.3) and integrity trailer.
import { ByteReader } from './byte-reader.js';
import { IpmiProtocolError } from './errors.js';

const AUTH_TYPE_NONE = 0x00;
/** Auth Type/Format 06h marks an IPMI v2.0 / RMCP+ session header. */
const AUTH_TYPE_RMCP_PLUS = 0x06;
/** Next Header of the integrity trailer is always 07h (RMCP class IPMI). */
const NEXT_HEADER_IPMI = 0x07;

export const PayloadType = {
  ipmiMessage: 0x00,
  sol: 0x01,
  oemExplicit: 0x02,
  openSessionRequest: 0x10,
  openSessionResponse: 0x11,
  rakp1: 0x12,
  rakp2: 0x13,
  rakp3: 0x14,
  rakp4: 0x15,
} as const;
export type PayloadType = (typeof PayloadType)[keyof typeof PayloadType];

const PAYLOAD_ENCRYPTED = 0x80;
const PAYLOAD_AUTHENTICATED = 0x40;
const PAYLOAD_TYPE_MASK = 0x3f;
/** Auth Type value through Payload Length: 1 + 1 + 4 + 4 + 2 bytes. */
const V20_HEADER_LENGTH = 12;

export interface V15Header {
  format: 'v1.5';
  authType: number;
  sessionSeq: number;
  sessionId: number;
  /** 16-byte AuthCode, present when authType is not "none". */
  authCode: Buffer | undefined;
  message: Buffer;
}

export interface V20Header {
  format: 'v2.0';
  payloadType: number;
  encrypted: boolean;
  authenticated: boolean;
  sessionId: number;
  sessionSeq: number;
  /** The payload as sent: ciphertext when encrypted. */
  payload: Buffer;
  /** Pad, pad length, next header and AuthCode; empty when not authenticated. */
  trailer: Buffer;
}

export type SessionHeader = V15Header | V20Header;

/** An IPMI 1.5 session-less wrapper (auth type none, session 0, sequence 0). */
export function encodeV15Unauthenticated(message: Buffer): Buffer {
  if (message.length > 0xff) throw new IpmiProtocolError('IPMI 1.5 message longer than 255 bytes');
  const header = Buffer.alloc(10);
  header.writeUInt8(AUTH_TYPE_NONE, 0);
  // bytes 1-4 session sequence 0, bytes 5-8 session ID 0
  header.writeUInt8(message.length, 9);
  return Buffer.concat([header, message]);
}

export interface V20Fields {
  payloadType: number;
  encrypted: boolean;
  sessionId: number;
  sessionSeq: number;
  payload: Buffer;
}

/** Header and payload of an IPMI 2.0 packet, before any integrity trailer. */
export function encodeV20Header(fields: V20Fields, authenticated: boolean): Buffer {
  if (fields.payload.length > 0xffff) throw new IpmiProtocolError('IPMI 2.0 payload longer than 65535 bytes');
  const header = Buffer.alloc(V20_HEADER_LENGTH);
  header.writeUInt8(AUTH_TYPE_RMCP_PLUS, 0);
  header.writeUInt8(
    (fields.payloadType & PAYLOAD_TYPE_MASK) |
      (fields.encrypted ? PAYLOAD_ENCRYPTED : 0) |
      (authenticated ? PAYLOAD_AUTHENTICATED : 0),
    1,
  );
  header.writeUInt32LE(fields.sessionId >>> 0, 2);
  header.writeUInt32LE(fields.sessionSeq >>> 0, 6);
  header.writeUInt16LE(fields.payload.length, 10);
  return Buffer.concat([header, fields.payload]);
}

/**
 * Integrity pad, pad length and next header: enough 0xFF bytes that the
 * range from Auth Type through Next Header is a multiple of 4 bytes.
 * The AuthCode computed over that range follows it.
 */
export function integrityTrailerPrefix(headerAndPayloadLength: number): Buffer {
  const padLength = (4 - ((headerAndPayloadLength + 2) % 4)) % 4;
  return Buffer.concat([Buffer.alloc(padLength, 0xff), Buffer.from([padLength, NEXT_HEADER_IPMI])]);
}

/** Decodes the session part of a datagram (after the RMCP header). */
export function decodeSessionHeader(body: Buffer): SessionHeader {
  const reader = new ByteReader(body, 'IPMI session header');
  const authType = reader.u8();
  if (authType === AUTH_TYPE_RMCP_PLUS) {
    const typeByte = reader.u8();
    const payloadType = typeByte & PAYLOAD_TYPE_MASK;
    if (payloadType === PayloadType.oemExplicit) {
      reader.bytes(6); // OEM IANA (4) and OEM payload ID (2)
    }
    const sessionId = reader.u32le();
    const sessionSeq = reader.u32le();
    const length = reader.u16le();
    const payload = reader.bytes(length);
    return {
      format: 'v2.0',
      payloadType,
      encrypted: (typeByte & PAYLOAD_ENCRYPTED) !== 0,
      authenticated: (typeByte & PAYLOAD_AUTHENTICATED) !== 0,
      sessionId,
      sessionSeq,
      payload,
      trailer: reader.rest(),
    };
  }
  // IPMI 1.5: auth type 0 (none), 1 (MD2), 2 (MD5), 4 (straight password), 5 (OEM).
  if (![0, 1, 2, 4, 5].includes(authType)) {
    throw new IpmiProtocolError(`unknown session auth type 0x${authType.toString(16)}`);
  }
  const sessionSeq = reader.u32le();
  const sessionId = reader.u32le();
  const authCode = authType === AUTH_TYPE_NONE ? undefined : reader.bytes(16);
  const length = reader.u8();
  // A trailing legacy pad byte (section 13.6) may follow the message.
  return { format: 'v1.5', authType, sessionSeq, sessionId, authCode, message: reader.bytes(length) };
}

/** The AuthCode and the range it covers, once the trailer is checked. */
export interface IntegrityTrailer {
  signedLength: number;
  authCode: Buffer;
}

/**
 * Splits the trailer of an authenticated packet whose session uses an
 * AuthCode of `codeLength` bytes. `packetLength` counts from Auth Type to the
 * end of the datagram.
 */
export function splitIntegrityTrailer(header: V20Header, packetLength: number, codeLength: number): IntegrityTrailer {
  const trailer = header.trailer;
  if (trailer.length < codeLength + 2) throw new IpmiProtocolError('integrity trailer truncated');
  const nextHeader = trailer.readUInt8(trailer.length - codeLength - 1);
  const padLength = trailer.readUInt8(trailer.length - codeLength - 2);
  if (nextHeader !== NEXT_HEADER_IPMI)
    throw new IpmiProtocolError(`integrity trailer next header 0x${nextHeader.toString(16)} is not 0x07`);
  if (padLength + 2 + codeLength !== trailer.length)
    throw new IpmiProtocolError('integrity pad length does not match the trailer');
  return { signedLength: packetLength - codeLength, authCode: trailer.subarray(trailer.length - codeLength) };
}
