// Whole datagrams: RMCP header, session wrapper, and for packets inside a
// session the confidentiality and integrity of section 13.28.
import { timingSafeEqual } from 'node:crypto';
import {
  decryptPayload,
  encryptPayload,
  integrityCode,
  integrityCodeLength,
  type CipherSuite,
} from './cipher-suites.js';
import { IpmiProtocolError } from './errors.js';
import { RmcpClass, decodeRmcp, encodeRmcpHeader } from './rmcp.js';
import {
  PayloadType,
  decodeSessionHeader,
  encodeV15Unauthenticated,
  encodeV20Header,
  integrityTrailerPrefix,
  splitIntegrityTrailer,
} from './session-header.js';

/** What protects the packets of an established session. */
export interface SessionSecurity {
  suite: CipherSuite;
  k1: Buffer;
  k2: Buffer;
}

/** A request outside any session in the IPMI 1.5 format (Get Channel Authentication Capabilities). */
export function encodePresessionMessage(message: Buffer): Buffer {
  return Buffer.concat([encodeRmcpHeader(RmcpClass.ipmi), encodeV15Unauthenticated(message)]);
}

/** An unauthenticated IPMI 2.0 packet with session ID 0: Open Session Request, RAKP 1 and 3. */
export function encodeSessionSetupPayload(payloadType: PayloadType, payload: Buffer): Buffer {
  return Buffer.concat([
    encodeRmcpHeader(RmcpClass.ipmi),
    encodeV20Header({ payloadType, encrypted: false, sessionId: 0, sessionSeq: 0, payload }, false),
  ]);
}

export interface SessionPacket {
  sessionId: number;
  sessionSeq: number;
  payloadType: PayloadType;
  payload: Buffer;
}

/** A packet inside a session, encrypted and signed as the suite says. `iv` is 16 random bytes. */
export function encodeSessionPacket(security: SessionSecurity, packet: SessionPacket, iv: Buffer): Buffer {
  const { suite } = security;
  const encrypted = suite.confidentiality !== 'none';
  const authenticated = suite.integrity !== 'none';
  const payload = encryptPayload(suite, security.k2, packet.payload, iv);
  const headed = encodeV20Header(
    { payloadType: packet.payloadType, encrypted, sessionId: packet.sessionId, sessionSeq: packet.sessionSeq, payload },
    authenticated,
  );
  if (!authenticated) return Buffer.concat([encodeRmcpHeader(RmcpClass.ipmi), headed]);
  const signed = Buffer.concat([headed, integrityTrailerPrefix(headed.length)]);
  return Buffer.concat([encodeRmcpHeader(RmcpClass.ipmi), signed, integrityCode(suite, security.k1, signed)]);
}

export type ReceivedPacket =
  | { kind: 'asf'; body: Buffer }
  | { kind: 'v1.5'; sessionId: number; sessionSeq: number; message: Buffer }
  | {
      kind: 'v2.0';
      payloadType: number;
      sessionId: number;
      sessionSeq: number;
      authenticated: boolean;
      encrypted: boolean;
      /** Plaintext payload, its integrity checked when the session has one. */
      payload: Buffer;
    };

/**
 * Decodes a received datagram. Packets with a non-zero session ID are
 * checked and decrypted with `security`; without it they must be neither
 * authenticated nor encrypted.
 */
export function decodeDatagram(datagram: Buffer, security?: SessionSecurity): ReceivedPacket {
  const rmcp = decodeRmcp(datagram);
  if (rmcp.messageClass === RmcpClass.asf) return { kind: 'asf', body: rmcp.body };
  if (rmcp.messageClass !== RmcpClass.ipmi) {
    throw new IpmiProtocolError(`RMCP message class 0x${rmcp.messageClass.toString(16)} is neither ASF nor IPMI`);
  }
  const header = decodeSessionHeader(rmcp.body);
  if (header.format === 'v1.5') {
    return { kind: 'v1.5', sessionId: header.sessionId, sessionSeq: header.sessionSeq, message: header.message };
  }
  const base = {
    kind: 'v2.0' as const,
    payloadType: header.payloadType,
    sessionId: header.sessionId,
    sessionSeq: header.sessionSeq,
  };
  if (header.sessionId === 0 || security === undefined) {
    if (header.encrypted || header.authenticated) {
      throw new IpmiProtocolError('protected packet outside an established session');
    }
    return { ...base, authenticated: false, encrypted: false, payload: header.payload };
  }
  const { suite } = security;
  if (suite.integrity !== 'none') {
    if (!header.authenticated)
      throw new IpmiProtocolError('unauthenticated packet in a session that requires integrity');
    const codeLength = integrityCodeLength(suite);
    const trailer = splitIntegrityTrailer(header, rmcp.body.length, codeLength);
    const expected = integrityCode(suite, security.k1, rmcp.body.subarray(0, trailer.signedLength));
    if (!timingSafeEqual(expected, trailer.authCode)) throw new IpmiProtocolError('packet integrity check failed');
  }
  if (suite.confidentiality !== 'none' && !header.encrypted) {
    throw new IpmiProtocolError('unencrypted packet in a session that requires confidentiality');
  }
  const payload = header.encrypted ? decryptPayload(suite, security.k2, header.payload) : header.payload;
  return { ...base, authenticated: header.authenticated, encrypted: header.encrypted, payload };
}
