// Byte-for-byte encodings against layouts written out from the IPMI v2.0
// spec: RMCP header (13.1.3), ASF ping (Table 13-3), IPMI 1.5 and 2.0 session
// headers (Table 13-8), LAN messages (Tables 13-4/13-5), RMCP+ payloads
// (Tables 13-9 to 13-14) and the integrity trailer (13.28.4).
import { createDecipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CIPHER_SUITES } from '../../../../bmc-drivers/ipmi/cipher-suites.js';
import { IpmiProtocolError } from '../../../../bmc-drivers/ipmi/errors.js';
import { checksum, decodeResponseMessage, encodeRequestMessage } from '../../../../bmc-drivers/ipmi/message.js';
import {
  decodeDatagram,
  encodePresessionMessage,
  encodeSessionPacket,
  encodeSessionSetupPayload,
} from '../../../../bmc-drivers/ipmi/packet.js';
import {
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
} from '../../../../bmc-drivers/ipmi/rakp.js';
import { RmcpClass, decodeAsfPong, encodeAsfPing, encodeRmcpHeader } from '../../../../bmc-drivers/ipmi/rmcp.js';
import { PayloadType, decodeSessionHeader } from '../../../../bmc-drivers/ipmi/session-header.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RMCP and ASF', () => {
  it('writes the RMCP header 06 00 ff 07 for IPMI and 06 00 ff 06 for ASF', () => {
    expect(encodeRmcpHeader(RmcpClass.ipmi)).toEqual(hex('06 00 ff 07'));
    expect(encodeRmcpHeader(RmcpClass.asf)).toEqual(hex('06 00 ff 06'));
  });

  it('encodes a presence ping with the ASF IANA number 4542 big-endian', () => {
    expect(encodeAsfPing(0x2a)).toEqual(hex('06 00 ff 06  00 00 11 be  80 2a 00 00'));
  });

  it('decodes a presence pong that announces IPMI', () => {
    const body = hex('00 00 11 be 40 2a 00 10  00 00 11 be  00 00 00 00  81 00  00 00 00 00 00 00');
    expect(decodeAsfPong(body)).toEqual({
      messageTag: 0x2a,
      enterprise: 4542,
      oemDefined: 0,
      ipmiSupported: true,
      supportedInteractions: 0,
    });
  });
});

describe('IPMI LAN messages', () => {
  it('encodes Get Channel Authentication Capabilities in the IPMI 1.5 wrapper exactly as the classic capture', () => {
    const message = encodeRequestMessage({ netFn: 0x06, cmd: 0x38, rqSeq: 0, data: hex('8e 04') });
    expect(message).toEqual(hex('20 18 c8 81 00 38 8e 04 b5'));
    expect(encodePresessionMessage(message)).toEqual(
      hex('06 00 ff 07  00  00 00 00 00  00 00 00 00  09  20 18 c8 81 00 38 8e 04 b5'),
    );
  });

  it('puts rqSeq in the upper 6 bits and checksums both halves', () => {
    expect(encodeRequestMessage({ netFn: 0x00, cmd: 0x02, rqSeq: 5, data: hex('01') })).toEqual(
      hex('20 00 e0 81 14 02 01 68'),
    );
    expect(checksum(hex('20 18'))).toBe(0xc8);
  });

  it('decodes a response: netFn+1, rqSeq, completion code and data', () => {
    const response = decodeResponseMessage(hex('81 1c 63 20 00 38 00 01 80 04 02 00 00 00 00 21'));
    expect(response).toEqual({
      netFn: 0x07,
      cmd: 0x38,
      rqSeq: 0,
      completionCode: 0,
      data: hex('01 80 04 02 00 00 00 00'),
    });
  });

  it('refuses a response whose checksum is wrong', () => {
    expect(() => decodeResponseMessage(hex('81 1c 63 20 00 38 00 01 80 04 02 00 00 00 00 22'))).toThrow(
      IpmiProtocolError,
    );
    expect(() => decodeResponseMessage(hex('81 1c 64 20 00 38 00 21'))).toThrow(IpmiProtocolError);
  });
});

describe('RMCP+ session establishment payloads', () => {
  it('lays out an Open Session Request for cipher suite 3 (Table 13-9)', () => {
    const payload = encodeOpenSessionRequest({
      messageTag: 0x11,
      maxPrivilege: 4,
      consoleSessionId: 0xa0a1a2a3,
      suite: CIPHER_SUITES[3],
    });
    expect(payload).toEqual(
      hex('11 04 00 00  a3 a2 a1 a0  00 00 00 08 01 00 00 00  01 00 00 08 01 00 00 00  02 00 00 08 01 00 00 00'),
    );
  });

  it('lays out an Open Session Request for cipher suite 17 with HMAC-SHA256 numbers', () => {
    const payload = encodeOpenSessionRequest({
      messageTag: 0,
      maxPrivilege: 3,
      consoleSessionId: 1,
      suite: CIPHER_SUITES[17],
    });
    expect(payload.subarray(8)).toEqual(
      hex('00 00 00 08 03 00 00 00  01 00 00 08 04 00 00 00  02 00 00 08 01 00 00 00'),
    );
  });

  it('wraps session setup payloads in an IPMI 2.0 header with session 0', () => {
    const datagram = encodeSessionSetupPayload(PayloadType.openSessionRequest, hex('aa bb'));
    expect(datagram).toEqual(hex('06 00 ff 07  06 10  00 00 00 00  00 00 00 00  02 00  aa bb'));
  });

  it('decodes an Open Session Response (Table 13-10)', () => {
    const payload = hex(
      '11 00 04 00  a3 a2 a1 a0  04 03 02 01  00 00 00 08 01 00 00 00  01 00 00 08 01 00 00 00  02 00 00 08 01 00 00 00',
    );
    expect(decodeOpenSessionResponse(payload)).toEqual({
      messageTag: 0x11,
      status: 0,
      maxPrivilege: 4,
      consoleSessionId: 0xa0a1a2a3,
      bmcSessionId: 0x01020304,
      authenticationAlgorithm: 1,
      integrityAlgorithm: 1,
      confidentialityAlgorithm: 1,
    });
  });

  it('decodes a short error reply as a refusal with its status', () => {
    expect(decodeOpenSessionResponse(hex('11 11 00 00 a3 a2 a1 a0'))).toEqual({ messageTag: 0x11, status: 0x11 });
  });

  it('lays out RAKP 1 with the role byte and user name (Table 13-11)', () => {
    const rm = Buffer.alloc(16, 0x5a);
    const payload = encodeRakp1({
      messageTag: 2,
      bmcSessionId: 0x01020304,
      consoleRandom: rm,
      role: 0x14,
      username: Buffer.from('admin'),
    });
    expect(payload).toEqual(
      Buffer.concat([hex('02 00 00 00  04 03 02 01'), rm, hex('14 00 00 05'), Buffer.from('admin')]),
    );
  });

  it('decodes RAKP 2 with a 20-byte code for suite 3 and a 32-byte code for suite 17 (Table 13-12)', () => {
    const head = hex('02 00 00 00  a3 a2 a1 a0');
    const rc = Buffer.alloc(16, 0xc1);
    const guid = Buffer.alloc(16, 0x67);
    const sha1 = decodeRakp2(Buffer.concat([head, rc, guid, Buffer.alloc(20, 0xee)]), CIPHER_SUITES[3]);
    expect(sha1).toMatchObject({
      messageTag: 2,
      status: 0,
      consoleSessionId: 0xa0a1a2a3,
      bmcRandom: rc,
      bmcGuid: guid,
    });
    expect('keyExchangeCode' in sha1 && sha1.keyExchangeCode.length).toBe(20);
    const sha256 = decodeRakp2(Buffer.concat([head, rc, guid, Buffer.alloc(32, 0xee)]), CIPHER_SUITES[17]);
    expect('keyExchangeCode' in sha256 && sha256.keyExchangeCode.length).toBe(32);
    expect(() => decodeRakp2(Buffer.concat([head, rc, guid, Buffer.alloc(20)]), CIPHER_SUITES[17])).toThrow(
      IpmiProtocolError,
    );
  });

  it('lays out RAKP 3 and decodes RAKP 4 (Tables 13-13, 13-14)', () => {
    const code = Buffer.alloc(20, 0x33);
    expect(encodeRakp3({ messageTag: 3, status: 0, bmcSessionId: 0x01020304, keyExchangeCode: code })).toEqual(
      Buffer.concat([hex('03 00 00 00 04 03 02 01'), code]),
    );
    const icv = Buffer.alloc(12, 0x44);
    expect(decodeRakp4(Buffer.concat([hex('03 00 00 00 a3 a2 a1 a0'), icv]), CIPHER_SUITES[3])).toEqual({
      messageTag: 3,
      status: 0,
      consoleSessionId: 0xa0a1a2a3,
      integrityCheckValue: icv,
    });
    expect(decodeRakp4(hex('03 0f 00 00 a3 a2 a1 a0'), CIPHER_SUITES[3])).toEqual({ messageTag: 3, status: 0x0f });
  });
});

describe('packets inside a session', () => {
  const k1 = Buffer.alloc(20, 0x01);
  const k2 = Buffer.alloc(20, 0x02);
  const iv = Buffer.alloc(16, 0x0f);
  const message = hex('20 00 e0 81 14 02 01 68');

  it('encrypts with AES-CBC-128 and signs with HMAC-SHA1-96 over Auth Type..Next Header (suite 3)', () => {
    const datagram = encodeSessionPacket(
      { suite: CIPHER_SUITES[3], k1, k2 },
      { sessionId: 0x01020304, sessionSeq: 7, payloadType: PayloadType.ipmiMessage, payload: message },
      iv,
    );
    // Header: RMCP, auth type 06, payload type 00 | encrypted | authenticated, session ID, sequence, length 32 (IV + 1 block).
    expect(datagram.subarray(0, 16)).toEqual(hex('06 00 ff 07  06 c0  04 03 02 01  07 00 00 00  20 00'));
    expect(datagram.subarray(16, 32)).toEqual(iv);
    const decipher = createDecipheriv('aes-128-cbc', k2.subarray(0, 16), iv).setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(datagram.subarray(32, 48)), decipher.final()]);
    // 8 message bytes, pad 01..07, pad length 07.
    expect(plain).toEqual(Buffer.concat([message, hex('01 02 03 04 05 06 07 07')]));
    // 12 + 32 = 44 bytes of header and payload: 2 pad bytes make 44 + 2 + 2 a multiple of 4.
    expect(datagram.subarray(48, 52)).toEqual(hex('ff ff 02 07'));
    const signed = datagram.subarray(4, 52);
    expect(datagram.subarray(52)).toEqual(createHmac('sha1', k1).update(signed).digest().subarray(0, 12));
    expect(datagram.length).toBe(64);
  });

  it('signs with HMAC-SHA256-128 for suite 17', () => {
    const k1sha256 = Buffer.alloc(32, 0x01);
    const datagram = encodeSessionPacket(
      { suite: CIPHER_SUITES[17], k1: k1sha256, k2: Buffer.alloc(32, 0x02) },
      { sessionId: 1, sessionSeq: 1, payloadType: PayloadType.ipmiMessage, payload: message },
      iv,
    );
    const authCode = datagram.subarray(datagram.length - 16);
    expect(authCode).toEqual(
      createHmac('sha256', k1sha256)
        .update(datagram.subarray(4, datagram.length - 16))
        .digest()
        .subarray(0, 16),
    );
  });

  it('decodes what it encodes and rejects a flipped bit', () => {
    const security = { suite: CIPHER_SUITES[3], k1, k2 };
    const datagram = encodeSessionPacket(
      security,
      { sessionId: 9, sessionSeq: 3, payloadType: PayloadType.ipmiMessage, payload: message },
      iv,
    );
    expect(decodeDatagram(datagram, security)).toEqual({
      kind: 'v2.0',
      payloadType: 0,
      sessionId: 9,
      sessionSeq: 3,
      authenticated: true,
      encrypted: true,
      payload: message,
    });
    const tampered = Buffer.from(datagram);
    tampered[20] = (tampered[20] ?? 0) ^ 0x01;
    expect(() => decodeDatagram(tampered, security)).toThrow(IpmiProtocolError);
    expect(() => decodeDatagram(datagram)).toThrow(IpmiProtocolError);
  });

  it('reads an IPMI 1.5 header with and without an AuthCode', () => {
    expect(decodeSessionHeader(hex('00 01 00 00 00 02 00 00 00 01 aa'))).toEqual({
      format: 'v1.5',
      authType: 0,
      sessionSeq: 1,
      sessionId: 2,
      authCode: undefined,
      message: hex('aa'),
    });
    const md5 = decodeSessionHeader(
      Buffer.concat([hex('02 00 00 00 00 00 00 00 00'), Buffer.alloc(16, 9), hex('01 bb')]),
    );
    expect(md5).toMatchObject({ format: 'v1.5', authType: 2, authCode: Buffer.alloc(16, 9), message: hex('bb') });
  });
});
