// The BMC side of RMCP+ cryptography (IPMI v2.0 sections 13.28 to 13.32):
// the suites this sim offers, RAKP key exchange codes, SIK/K1/K2, the
// packet AuthCode and AES-CBC-128 payloads.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { MalformedPacket } from './wire.js';

export interface SimCipherSuite {
  id: number;
  /** Algorithm numbers from Tables 13-17, 13-18 and 13-19. */
  authentication: number;
  integrity: number;
  confidentiality: number;
}

/** Suites by ID (Table 22-20). Suite 0 is served only when a sim is told to. */
export const SIM_CIPHER_SUITES: ReadonlyMap<number, SimCipherSuite> = new Map([
  [0, { id: 0, authentication: 0x00, integrity: 0x00, confidentiality: 0x00 }],
  [3, { id: 3, authentication: 0x01, integrity: 0x01, confidentiality: 0x01 }],
  [17, { id: 17, authentication: 0x03, integrity: 0x04, confidentiality: 0x01 }],
]);

function hash(suite: SimCipherSuite): 'sha1' | 'sha256' | undefined {
  return suite.authentication === 0x01 ? 'sha1' : suite.authentication === 0x03 ? 'sha256' : undefined;
}

export function hmac(suite: SimCipherSuite, key: Buffer, data: Buffer): Buffer {
  const h = hash(suite);
  return h === undefined ? Buffer.alloc(0) : createHmac(h, key).update(data).digest();
}

/** RAKP 4 carries HMAC-SHA1-96 or HMAC-SHA256-128 of the SIK. */
export function icvLength(suite: SimCipherSuite): number {
  return suite.authentication === 0x01 ? 12 : suite.authentication === 0x03 ? 16 : 0;
}

export function authCodeLength(suite: SimCipherSuite): number {
  return suite.integrity === 0x01 ? 12 : suite.integrity === 0x04 ? 16 : 0;
}

/** Password zero-padded to the 20-byte Kuid. */
export function kuid(password: string): Buffer {
  const key = Buffer.alloc(20);
  Buffer.from(password, 'utf8').copy(key, 0, 0, 20);
  return key;
}

export interface Keys {
  sik: Buffer;
  k1: Buffer;
  k2: Buffer;
}

export function deriveKeys(
  suite: SimCipherSuite,
  key: Buffer,
  rm: Buffer,
  rc: Buffer,
  role: number,
  username: Buffer,
): Keys {
  const sik = hmac(suite, key, Buffer.concat([rm, rc, Buffer.from([role, username.length]), username]));
  return { sik, k1: hmac(suite, sik, Buffer.alloc(20, 0x01)), k2: hmac(suite, sik, Buffer.alloc(20, 0x02)) };
}

export function authCode(suite: SimCipherSuite, k1: Buffer, signed: Buffer): Buffer {
  if (suite.integrity === 0x01) return createHmac('sha1', k1).update(signed).digest().subarray(0, 12);
  if (suite.integrity === 0x04) return createHmac('sha256', k1).update(signed).digest().subarray(0, 16);
  return Buffer.alloc(0);
}

export function encrypt(suite: SimCipherSuite, k2: Buffer, plain: Buffer): Buffer {
  if (suite.confidentiality !== 0x01) return plain;
  const pad = (16 - ((plain.length + 1) % 16)) % 16;
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', k2.subarray(0, 16), iv).setAutoPadding(false);
  const body = Buffer.concat([plain, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1)), Buffer.from([pad])]);
  return Buffer.concat([iv, cipher.update(body), cipher.final()]);
}

export function decrypt(suite: SimCipherSuite, k2: Buffer, payload: Buffer): Buffer {
  if (suite.confidentiality !== 0x01) return payload;
  if (payload.length < 32 || payload.length % 16 !== 0)
    throw new MalformedPacket('encrypted payload not IV + AES blocks');
  const decipher = createDecipheriv('aes-128-cbc', k2.subarray(0, 16), payload.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(payload.subarray(16)), decipher.final()]);
  const pad = plain.readUInt8(plain.length - 1);
  if (pad + 1 > plain.length) throw new MalformedPacket('confidentiality pad longer than the payload');
  return plain.subarray(0, plain.length - 1 - pad);
}
