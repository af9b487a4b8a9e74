// Cipher suites and the cryptography of an RMCP+ session (IPMI v2.0 sections
// 13.28 to 13.32, Table 22-20 for the suite numbers).
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { IpmiProtocolError } from './errors.js';

export type AuthenticationAlgorithm = 'rakp-none' | 'rakp-hmac-sha1' | 'rakp-hmac-sha256';
export type IntegrityAlgorithm = 'none' | 'hmac-sha1-96' | 'hmac-sha256-128';
export type ConfidentialityAlgorithm = 'none' | 'aes-cbc-128';

export type CipherSuiteId = 0 | 3 | 17;

export interface CipherSuite {
  id: CipherSuiteId;
  authentication: AuthenticationAlgorithm;
  integrity: IntegrityAlgorithm;
  confidentiality: ConfidentialityAlgorithm;
}

// Algorithm numbers carried in Open Session Request/Response payloads
// (Tables 13-17, 13-18, 13-19).
export const AUTHENTICATION_ALGORITHM_NUMBER: Readonly<Record<AuthenticationAlgorithm, number>> = {
  'rakp-none': 0x00,
  'rakp-hmac-sha1': 0x01,
  'rakp-hmac-sha256': 0x03,
};
export const INTEGRITY_ALGORITHM_NUMBER: Readonly<Record<IntegrityAlgorithm, number>> = {
  none: 0x00,
  'hmac-sha1-96': 0x01,
  'hmac-sha256-128': 0x04,
};
export const CONFIDENTIALITY_ALGORITHM_NUMBER: Readonly<Record<ConfidentialityAlgorithm, number>> = {
  none: 0x00,
  'aes-cbc-128': 0x01,
};

export const CIPHER_SUITES: Readonly<Record<CipherSuiteId, CipherSuite>> = {
  0: { id: 0, authentication: 'rakp-none', integrity: 'none', confidentiality: 'none' },
  3: { id: 3, authentication: 'rakp-hmac-sha1', integrity: 'hmac-sha1-96', confidentiality: 'aes-cbc-128' },
  17: { id: 17, authentication: 'rakp-hmac-sha256', integrity: 'hmac-sha256-128', confidentiality: 'aes-cbc-128' },
};

/** IPMI v2.0 user passwords are at most 20 bytes (section 13.31: Kuid). */
const USER_KEY_LENGTH = 20;
const AES_BLOCK = 16;

/**
 * Kuid: the user's password, zero-padded to 20 bytes. Throws without echoing
 * the password when it does not fit.
 */
export function userKey(password: string): Buffer {
  const bytes = Buffer.from(password, 'utf8');
  if (bytes.length > USER_KEY_LENGTH) {
    throw new IpmiProtocolError(`IPMI v2.0 passwords are at most ${USER_KEY_LENGTH} bytes`);
  }
  const key = Buffer.alloc(USER_KEY_LENGTH);
  bytes.copy(key);
  return key;
}

function hashOf(algorithm: AuthenticationAlgorithm): 'sha1' | 'sha256' | undefined {
  if (algorithm === 'rakp-hmac-sha1') return 'sha1';
  if (algorithm === 'rakp-hmac-sha256') return 'sha256';
  return undefined;
}

/** The HMAC of the suite's authentication algorithm, untruncated; empty for RAKP-none. */
export function authenticationHmac(suite: CipherSuite, key: Buffer, data: Buffer): Buffer {
  const hash = hashOf(suite.authentication);
  if (hash === undefined) return Buffer.alloc(0);
  return createHmac(hash, key).update(data).digest();
}

/** Length of the RAKP 2 / RAKP 3 key exchange authentication code. */
export function keyExchangeCodeLength(suite: CipherSuite): number {
  return { 'rakp-none': 0, 'rakp-hmac-sha1': 20, 'rakp-hmac-sha256': 32 }[suite.authentication];
}

/**
 * Length of the RAKP 4 integrity check value: HMAC-SHA1-96 for RAKP-HMAC-SHA1,
 * HMAC-SHA256-128 for RAKP-HMAC-SHA256 (sections 13.28.1b and 13.28.4).
 */
export function rakp4IcvLength(suite: CipherSuite): number {
  return { 'rakp-none': 0, 'rakp-hmac-sha1': 12, 'rakp-hmac-sha256': 16 }[suite.authentication];
}

/** Length of the AuthCode in each authenticated session packet. */
export function integrityCodeLength(suite: CipherSuite): number {
  return { none: 0, 'hmac-sha1-96': 12, 'hmac-sha256-128': 16 }[suite.integrity];
}

export interface SessionKeys {
  sik: Buffer;
  k1: Buffer;
  k2: Buffer;
}

export interface SikInput {
  consoleRandom: Buffer;
  bmcRandom: Buffer;
  /** The whole requested-role byte sent in RAKP 1, lookup bit included. */
  role: number;
  username: Buffer;
}

/**
 * SIK = HMAC_Kg(Rm | Rc | ROLEm | ULENGTHm | UNAMEm), with Kuid when no Kg is
 * set (section 13.31); K1 and K2 are HMAC_SIK of 20 bytes of 0x01 and 0x02
 * (section 13.32). RAKP-none has no keys.
 */
export function deriveSessionKeys(suite: CipherSuite, kgOrKuid: Buffer, input: SikInput): SessionKeys {
  if (suite.authentication === 'rakp-none') {
    return { sik: Buffer.alloc(0), k1: Buffer.alloc(0), k2: Buffer.alloc(0) };
  }
  const sik = authenticationHmac(
    suite,
    kgOrKuid,
    Buffer.concat([
      input.consoleRandom,
      input.bmcRandom,
      Buffer.from([input.role, input.username.length]),
      input.username,
    ]),
  );
  return {
    sik,
    k1: authenticationHmac(suite, sik, Buffer.alloc(20, 0x01)),
    k2: authenticationHmac(suite, sik, Buffer.alloc(20, 0x02)),
  };
}

/** AuthCode of a session packet: HMAC keyed with K1, truncated (section 13.28.4). */
export function integrityCode(suite: CipherSuite, k1: Buffer, data: Buffer): Buffer {
  switch (suite.integrity) {
    case 'none':
      return Buffer.alloc(0);
    case 'hmac-sha1-96':
      return createHmac('sha1', k1).update(data).digest().subarray(0, 12);
    case 'hmac-sha256-128':
      return createHmac('sha256', k1).update(data).digest().subarray(0, 16);
  }
}

/**
 * AES-CBC-128 payload (section 13.29, Table 13-20): IV, then the encrypted
 * payload followed by pad bytes 01 02 03 ... and the pad length, so that the
 * encrypted part is a whole number of 16-byte blocks. Key = first 16 bytes of K2.
 */
export function encryptPayload(suite: CipherSuite, k2: Buffer, plaintext: Buffer, iv: Buffer): Buffer {
  if (suite.confidentiality === 'none') return plaintext;
  if (iv.length !== AES_BLOCK) throw new IpmiProtocolError('AES-CBC-128 needs a 16-byte IV');
  const padLength = (AES_BLOCK - ((plaintext.length + 1) % AES_BLOCK)) % AES_BLOCK;
  const pad = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
  const cipher = createCipheriv('aes-128-cbc', k2.subarray(0, 16), iv).setAutoPadding(false);
  const body = Buffer.concat([plaintext, pad, Buffer.from([padLength])]);
  return Buffer.concat([iv, cipher.update(body), cipher.final()]);
}

export function decryptPayload(suite: CipherSuite, k2: Buffer, payload: Buffer): Buffer {
  if (suite.confidentiality === 'none') return payload;
  if (payload.length < 2 * AES_BLOCK || payload.length % AES_BLOCK !== 0) {
    throw new IpmiProtocolError(`encrypted payload of ${payload.length} bytes is not IV + whole AES blocks`);
  }
  const decipher = createDecipheriv('aes-128-cbc', k2.subarray(0, 16), payload.subarray(0, AES_BLOCK)).setAutoPadding(
    false,
  );
  const plain = Buffer.concat([decipher.update(payload.subarray(AES_BLOCK)), decipher.final()]);
  const padLength = plain.readUInt8(plain.length - 1);
  if (padLength >= AES_BLOCK) throw new IpmiProtocolError(`confidentiality pad length ${padLength} is not below 16`);
  const end = plain.length - 1 - padLength;
  for (let i = 0; i < padLength; i++) {
    if (plain.readUInt8(end + i) !== i + 1) throw new IpmiProtocolError('confidentiality pad is not 01 02 03 ...');
  }
  return plain.subarray(0, end);
}
