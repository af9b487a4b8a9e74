// RMCP+ session establishment payloads (IPMI v2.0 sections 13.17 to 13.23,
// Tables 13-9 to 13-14) and the key exchange codes they carry (section 13.31).
// In the spec's names "m" is the remote console and "c" the BMC.
import { ByteReader } from './byte-reader.js';
import {
  AUTHENTICATION_ALGORITHM_NUMBER,
  CONFIDENTIALITY_ALGORITHM_NUMBER,
  INTEGRITY_ALGORITHM_NUMBER,
  authenticationHmac,
  keyExchangeCodeLength,
  rakp4IcvLength,
  type CipherSuite,
} from './cipher-suites.js';
import { IpmiProtocolError } from './errors.js';

// RMCP+ status codes, Table 13-15.
const RMCP_STATUS_NAMES: ReadonlyMap<number, string> = new Map([
  [0x00, 'no errors'],
  [0x01, 'insufficient resources to create a session'],
  [0x02, 'invalid session ID'],
  [0x03, 'invalid payload type'],
  [0x04, 'invalid authentication algorithm'],
  [0x05, 'invalid integrity algorithm'],
  [0x06, 'no matching authentication payload'],
  [0x07, 'no matching integrity payload'],
  [0x08, 'inactive session ID'],
  [0x09, 'invalid role'],
  [0x0a, 'unauthorized role or privilege level requested'],
  [0x0b, 'insufficient resources to create a session at the requested role'],
  [0x0c, 'invalid name length'],
  [0x0d, 'unauthorized name'],
  [0x0e, 'unauthorized GUID'],
  [0x0f, 'invalid integrity check value'],
  [0x10, 'invalid confidentiality algorithm'],
  [0x11, 'no cipher suite match with proposed security algorithms'],
  [0x12, 'illegal or unrecognized parameter'],
]);

export function describeRmcpStatus(status: number): string {
  return RMCP_STATUS_NAMES.get(status) ?? 'reserved status code';
}

/** Statuses that mean "these credentials or this role are not accepted". */
export const RMCP_AUTH_STATUSES: ReadonlySet<number> = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x0e, 0x0f]);

/** RAKP 1 role byte bit 4: name-only lookup (the user's own privilege limit applies). */
export const ROLE_NAME_ONLY_LOOKUP = 0x10;
const MAX_USERNAME_LENGTH = 16;

export interface OpenSessionRequest {
  messageTag: number;
  /** Requested maximum privilege level; 0 asks for the highest the algorithms allow. */
  maxPrivilege: number;
  consoleSessionId: number;
  suite: CipherSuite;
}

function algorithmPayload(type: number, algorithm: number): Buffer {
  // Payload type, 2 reserved bytes, payload length 8, algorithm, 3 reserved bytes.
  return Buffer.from([type, 0x00, 0x00, 0x08, algorithm & 0x3f, 0x00, 0x00, 0x00]);
}

export function encodeOpenSessionRequest(request: OpenSessionRequest): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt8(request.messageTag & 0xff, 0);
  head.writeUInt8(request.maxPrivilege & 0x0f, 1);
  head.writeUInt32LE(request.consoleSessionId >>> 0, 4);
  return Buffer.concat([
    head,
    algorithmPayload(0x00, AUTHENTICATION_ALGORITHM_NUMBER[request.suite.authentication]),
    algorithmPayload(0x01, INTEGRITY_ALGORITHM_NUMBER[request.suite.integrity]),
    algorithmPayload(0x02, CONFIDENTIALITY_ALGORITHM_NUMBER[request.suite.confidentiality]),
  ]);
}

export interface OpenSessionResponse {
  messageTag: number;
  status: number;
  maxPrivilege: number;
  consoleSessionId: number;
  bmcSessionId: number;
  authenticationAlgorithm: number;
  integrityAlgorithm: number;
  confidentialityAlgorithm: number;
}

/** An RMCP+ message that carries a non-zero status: the BMC may cut it short after the session ID. */
export interface RmcpPlusRefusal {
  messageTag: number;
  status: number;
}

function readAlgorithm(r: ByteReader, expectedType: number): number {
  const type = r.u8();
  r.bytes(2);
  const length = r.u8();
  const algorithm = r.u8() & 0x3f;
  r.bytes(3);
  if (type !== expectedType || length !== 8) {
    throw new IpmiProtocolError(
      `algorithm payload type ${type} length ${length}, expected type ${expectedType} length 8`,
    );
  }
  return algorithm;
}

export function decodeOpenSessionResponse(payload: Buffer): OpenSessionResponse | RmcpPlusRefusal {
  const r = new ByteReader(payload, 'Open Session Response');
  const messageTag = r.u8();
  const status = r.u8();
  if (status !== 0) return { messageTag, status };
  const maxPrivilege = r.u8() & 0x0f;
  r.u8();
  const consoleSessionId = r.u32le();
  const bmcSessionId = r.u32le();
  return {
    messageTag,
    status,
    maxPrivilege,
    consoleSessionId,
    bmcSessionId,
    authenticationAlgorithm: readAlgorithm(r, 0x00),
    integrityAlgorithm: readAlgorithm(r, 0x01),
    confidentialityAlgorithm: readAlgorithm(r, 0x02),
  };
}

export interface Rakp1 {
  messageTag: number;
  bmcSessionId: number;
  consoleRandom: Buffer;
  /** Requested maximum privilege (bits 3:0) and the lookup bit (bit 4). */
  role: number;
  username: Buffer;
}

export function encodeRakp1(message: Rakp1): Buffer {
  if (message.consoleRandom.length !== 16) throw new IpmiProtocolError('RAKP 1 random number must be 16 bytes');
  if (message.username.length > MAX_USERNAME_LENGTH)
    throw new IpmiProtocolError('IPMI user names are at most 16 bytes');
  const head = Buffer.alloc(8);
  head.writeUInt8(message.messageTag & 0xff, 0);
  head.writeUInt32LE(message.bmcSessionId >>> 0, 4);
  const tail = Buffer.from([message.role & 0x1f, 0x00, 0x00, message.username.length]);
  return Buffer.concat([head, message.consoleRandom, tail, message.username]);
}

export interface Rakp2 {
  messageTag: number;
  status: number;
  consoleSessionId: number;
  bmcRandom: Buffer;
  bmcGuid: Buffer;
  keyExchangeCode: Buffer;
}

export function decodeRakp2(payload: Buffer, suite: CipherSuite): Rakp2 | RmcpPlusRefusal {
  const r = new ByteReader(payload, 'RAKP 2');
  const messageTag = r.u8();
  const status = r.u8();
  if (status !== 0) return { messageTag, status };
  r.bytes(2);
  return {
    messageTag,
    status,
    consoleSessionId: r.u32le(),
    bmcRandom: r.bytes(16),
    bmcGuid: r.bytes(16),
    keyExchangeCode: r.bytes(keyExchangeCodeLength(suite)),
  };
}

export interface Rakp3 {
  messageTag: number;
  status: number;
  bmcSessionId: number;
  keyExchangeCode: Buffer;
}

export function encodeRakp3(message: Rakp3): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt8(message.messageTag & 0xff, 0);
  head.writeUInt8(message.status & 0xff, 1);
  head.writeUInt32LE(message.bmcSessionId >>> 0, 4);
  return Buffer.concat([head, message.keyExchangeCode]);
}

export interface Rakp4 {
  messageTag: number;
  status: number;
  consoleSessionId: number;
  integrityCheckValue: Buffer;
}

export function decodeRakp4(payload: Buffer, suite: CipherSuite): Rakp4 | RmcpPlusRefusal {
  const r = new ByteReader(payload, 'RAKP 4');
  const messageTag = r.u8();
  const status = r.u8();
  if (status !== 0) return { messageTag, status };
  r.bytes(2);
  return { messageTag, status, consoleSessionId: r.u32le(), integrityCheckValue: r.bytes(rakp4IcvLength(suite)) };
}

export interface KeyExchangeContext {
  consoleSessionId: number;
  bmcSessionId: number;
  consoleRandom: Buffer;
  bmcRandom: Buffer;
  bmcGuid: Buffer;
  role: number;
  username: Buffer;
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0, 0);
  return b;
}

function roleAndName(ctx: KeyExchangeContext): Buffer {
  return Buffer.concat([Buffer.from([ctx.role, ctx.username.length]), ctx.username]);
}

/** RAKP 2 code: HMAC_Kuid(SIDm, SIDc, Rm, Rc, GUIDc, ROLEm, ULENGTHm, UNAMEm). */
export function rakp2KeyExchangeCode(suite: CipherSuite, kuid: Buffer, ctx: KeyExchangeContext): Buffer {
  return authenticationHmac(
    suite,
    kuid,
    Buffer.concat([
      u32(ctx.consoleSessionId),
      u32(ctx.bmcSessionId),
      ctx.consoleRandom,
      ctx.bmcRandom,
      ctx.bmcGuid,
      roleAndName(ctx),
    ]),
  );
}

/** RAKP 3 code: HMAC_Kuid(Rc, SIDm, ROLEm, ULENGTHm, UNAMEm). */
export function rakp3KeyExchangeCode(suite: CipherSuite, kuid: Buffer, ctx: KeyExchangeContext): Buffer {
  return authenticationHmac(suite, kuid, Buffer.concat([ctx.bmcRandom, u32(ctx.consoleSessionId), roleAndName(ctx)]));
}

/** RAKP 4 integrity check value: HMAC_SIK(Rm, SIDc, GUIDc), truncated per suite. */
export function rakp4IntegrityCheckValue(suite: CipherSuite, sik: Buffer, ctx: KeyExchangeContext): Buffer {
  return authenticationHmac(
    suite,
    sik,
    Buffer.concat([ctx.consoleRandom, u32(ctx.bmcSessionId), ctx.bmcGuid]),
  ).subarray(0, rakp4IcvLength(suite));
}
