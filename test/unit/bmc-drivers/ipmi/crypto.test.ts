// Key derivation and RAKP codes, checked against values computed here with
// node:crypto straight from the formulas of IPMI v2.0 sections 13.31-13.32.
import { createCipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CIPHER_SUITES,
  decryptPayload,
  deriveSessionKeys,
  encryptPayload,
  integrityCode,
  userKey,
} from '../../../../bmc-drivers/ipmi/cipher-suites.js';
import { IpmiProtocolError } from '../../../../bmc-drivers/ipmi/errors.js';
import {
  rakp2KeyExchangeCode,
  rakp3KeyExchangeCode,
  rakp4IntegrityCheckValue,
  type KeyExchangeContext,
} from '../../../../bmc-drivers/ipmi/rakp.js';

const hmac = (alg: 'sha1' | 'sha256', key: Buffer, ...parts: Buffer[]): Buffer =>
  createHmac(alg, key).update(Buffer.concat(parts)).digest();
const le32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
};

const ctx: KeyExchangeContext = {
  consoleSessionId: 0xa0a1a2a3,
  bmcSessionId: 0x01020304,
  consoleRandom: Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'),
  bmcRandom: Buffer.from('f0e0d0c0b0a090807060504030201000', 'hex'),
  bmcGuid: Buffer.from('a1b2c3d4e5f60718293a4b5c6d7e8f90', 'hex'),
  role: 0x14,
  username: Buffer.from('admin'),
};
const password = 'password';
// Kuid: the password zero-padded to 20 bytes.
const kuid = Buffer.concat([Buffer.from(password), Buffer.alloc(20 - password.length)]);
const roleName = Buffer.concat([Buffer.from([0x14, 5]), Buffer.from('admin')]);

describe.each([
  { id: 3 as const, alg: 'sha1' as const, icv: 12 },
  { id: 17 as const, alg: 'sha256' as const, icv: 16 },
])('cipher suite $id', ({ id, alg, icv }) => {
  const suite = CIPHER_SUITES[id];

  it('derives SIK = HMAC_Kuid(Rm|Rc|ROLE|ULEN|UNAME), K1 = HMAC_SIK(01 x20), K2 = HMAC_SIK(02 x20)', () => {
    const sik = hmac(alg, kuid, ctx.consoleRandom, ctx.bmcRandom, roleName);
    const keys = deriveSessionKeys(suite, userKey(password), ctx);
    expect(keys.sik).toEqual(sik);
    expect(keys.k1).toEqual(hmac(alg, sik, Buffer.alloc(20, 1)));
    expect(keys.k2).toEqual(hmac(alg, sik, Buffer.alloc(20, 2)));
  });

  it('uses Kg instead of Kuid for the SIK when the BMC has a key', () => {
    const kg = Buffer.alloc(20, 0x77);
    expect(deriveSessionKeys(suite, kg, ctx).sik).toEqual(hmac(alg, kg, ctx.consoleRandom, ctx.bmcRandom, roleName));
  });

  it('computes the RAKP 2 code over SIDm|SIDc|Rm|Rc|GUIDc|ROLE|ULEN|UNAME', () => {
    expect(rakp2KeyExchangeCode(suite, userKey(password), ctx)).toEqual(
      hmac(
        alg,
        kuid,
        le32(ctx.consoleSessionId),
        le32(ctx.bmcSessionId),
        ctx.consoleRandom,
        ctx.bmcRandom,
        ctx.bmcGuid,
        roleName,
      ),
    );
  });

  it('computes the RAKP 3 code over Rc|SIDm|ROLE|ULEN|UNAME', () => {
    expect(rakp3KeyExchangeCode(suite, userKey(password), ctx)).toEqual(
      hmac(alg, kuid, ctx.bmcRandom, le32(ctx.consoleSessionId), roleName),
    );
  });

  it(`truncates the RAKP 4 integrity check value to ${icv} bytes`, () => {
    const sik = deriveSessionKeys(suite, userKey(password), ctx).sik;
    expect(rakp4IntegrityCheckValue(suite, sik, ctx)).toEqual(
      hmac(alg, sik, ctx.consoleRandom, le32(ctx.bmcSessionId), ctx.bmcGuid).subarray(0, icv),
    );
  });

  it(`signs packets with a ${icv}-byte HMAC keyed by K1`, () => {
    const k1 = Buffer.alloc(alg === 'sha1' ? 20 : 32, 9);
    expect(integrityCode(suite, k1, Buffer.from('data'))).toEqual(hmac(alg, k1, Buffer.from('data')).subarray(0, icv));
  });
});

describe('AES-CBC-128 confidentiality', () => {
  const suite = CIPHER_SUITES[3];
  const k2 = Buffer.alloc(20, 0x22);
  const iv = Buffer.alloc(16, 0x01);

  it('pads with 01 02 03 ... and a pad length byte to whole blocks, keyed by the first 16 bytes of K2', () => {
    const plain = Buffer.from('0123456789abcdef', 'utf8'); // 16 bytes: +15 pad +1 length = 32
    const encrypted = encryptPayload(suite, k2, plain, iv);
    const body = Buffer.concat([plain, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15])]);
    const cipher = createCipheriv('aes-128-cbc', k2.subarray(0, 16), iv).setAutoPadding(false);
    expect(encrypted).toEqual(Buffer.concat([iv, cipher.update(body), cipher.final()]));
    expect(decryptPayload(suite, k2, encrypted)).toEqual(plain);
  });

  it('needs no pad when the payload plus its length byte fill a block', () => {
    const encrypted = encryptPayload(suite, k2, Buffer.alloc(15, 0xab), iv);
    expect(encrypted.length).toBe(32);
    expect(decryptPayload(suite, k2, encrypted)).toEqual(Buffer.alloc(15, 0xab));
  });

  it('rejects ciphertext that is not IV plus whole blocks, or whose pad is wrong', () => {
    expect(() => decryptPayload(suite, k2, Buffer.alloc(31))).toThrow(IpmiProtocolError);
    const cipher = createCipheriv('aes-128-cbc', k2.subarray(0, 16), iv).setAutoPadding(false);
    const badPad = Buffer.concat([
      iv,
      cipher.update(Buffer.concat([Buffer.alloc(13), Buffer.from([1, 3, 2])])),
      cipher.final(),
    ]);
    expect(() => decryptPayload(suite, k2, badPad)).toThrow(IpmiProtocolError);
  });
});

describe('user key', () => {
  it('pads the password to 20 bytes and refuses longer ones without echoing them', () => {
    expect(userKey('abc')).toEqual(Buffer.concat([Buffer.from('abc'), Buffer.alloc(17)]));
    const secret = 'x'.repeat(21);
    expect(() => userKey(secret)).toThrow(IpmiProtocolError);
    try {
      userKey(secret);
    } catch (error) {
      expect(String(error)).not.toContain(secret);
    }
  });
});
