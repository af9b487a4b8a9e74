// Property tests: whatever bytes arrive, the decoders return or throw
// IpmiProtocolError, nothing else (no RangeError, no TypeError).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CIPHER_SUITES, decryptPayload } from '../../../../bmc-drivers/ipmi/cipher-suites.js';
import {
  decodeBootFlags,
  decodeCipherSuiteRecords,
  getBootFlags,
  getChannelAuthCapabilities,
  getChannelCipherSuites,
  getChassisStatus,
  getDeviceId,
  setSessionPrivilegeLevel,
} from '../../../../bmc-drivers/ipmi/commands.js';
import { IpmiProtocolError } from '../../../../bmc-drivers/ipmi/errors.js';
import { decodeResponseMessage, encodeRequestMessage } from '../../../../bmc-drivers/ipmi/message.js';
import { decodeDatagram, encodeSessionPacket, type SessionSecurity } from '../../../../bmc-drivers/ipmi/packet.js';
import { decodeOpenSessionResponse, decodeRakp2, decodeRakp4 } from '../../../../bmc-drivers/ipmi/rakp.js';
import { decodeAsfPong } from '../../../../bmc-drivers/ipmi/rmcp.js';
import { PayloadType, decodeSessionHeader } from '../../../../bmc-drivers/ipmi/session-header.js';
import { fuzz, fuzzTimeout } from '../../../support/fuzz.js';

function onlyProtocolErrors(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof IpmiProtocolError)) throw error;
  }
}

const security3: SessionSecurity = { suite: CIPHER_SUITES[3], k1: Buffer.alloc(20, 1), k2: Buffer.alloc(20, 2) };
const security17: SessionSecurity = { suite: CIPHER_SUITES[17], k1: Buffer.alloc(32, 1), k2: Buffer.alloc(32, 2) };

const decoders: [string, (bytes: Buffer) => unknown][] = [
  ['datagram', (b) => decodeDatagram(b)],
  ['datagram in a suite 3 session', (b) => decodeDatagram(b, security3)],
  ['datagram in a suite 17 session', (b) => decodeDatagram(b, security17)],
  ['session header', (b) => decodeSessionHeader(b)],
  ['response message', (b) => decodeResponseMessage(b)],
  ['open session response', (b) => decodeOpenSessionResponse(b)],
  ['RAKP 2', (b) => decodeRakp2(b, CIPHER_SUITES[17])],
  ['RAKP 4', (b) => decodeRakp4(b, CIPHER_SUITES[3])],
  ['ASF pong', (b) => decodeAsfPong(b)],
  ['cipher suite records', (b) => decodeCipherSuiteRecords(b)],
  ['boot flags', (b) => decodeBootFlags(b)],
  ['Get Device ID', (b) => getDeviceId().decode(b)],
  ['Get Chassis Status', (b) => getChassisStatus().decode(b)],
  ['Get System Boot Options', (b) => getBootFlags().decode(b)],
  ['Get Channel Authentication Capabilities', (b) => getChannelAuthCapabilities('administrator').decode(b)],
  ['Get Channel Cipher Suites', (b) => getChannelCipherSuites(0).decode(b)],
  ['Set Session Privilege Level', (b) => setSessionPrivilegeLevel('operator').decode(b)],
  ['AES payload', (b) => decryptPayload(CIPHER_SUITES[3], security3.k2, b)],
];

const bytes = fc.uint8Array({ maxLength: 160 }).map((a) => Buffer.from(a));

describe('decoders on arbitrary bytes', { timeout: fuzzTimeout(10_000) }, () => {
  it.each(decoders)('%s: returns or throws IpmiProtocolError', async (_name, decode) => {
    await fuzz(
      fc.property(bytes, (b) => onlyProtocolErrors(() => decode(b))),
      { runs: 300 },
    );
  });

  it('datagram decoding survives RMCP-prefixed garbage', async () => {
    const prefixed = fc
      .tuple(fc.constantFrom(0x06, 0x07), fc.constantFrom(0x00, 0x02, 0x06), bytes)
      .map(([cls, authType, rest]) => Buffer.concat([Buffer.from([0x06, 0x00, 0xff, cls, authType]), rest]));
    await fuzz(
      fc.property(prefixed, (b) => onlyProtocolErrors(() => decodeDatagram(b, security3))),
      { runs: 500 },
    );
  });
});

describe('decoders on damaged valid packets', { timeout: fuzzTimeout(10_000) }, () => {
  const valid = encodeSessionPacket(
    security3,
    {
      sessionId: 7,
      sessionSeq: 9,
      payloadType: PayloadType.ipmiMessage,
      payload: encodeRequestMessage({ netFn: 0, cmd: 1, rqSeq: 3, data: Buffer.alloc(0) }),
    },
    Buffer.alloc(16, 5),
  );

  it('rejects every truncation of a protected packet with IpmiProtocolError', () => {
    for (let length = 0; length < valid.length; length++) {
      expect(() => decodeDatagram(valid.subarray(0, length), security3)).toThrow(IpmiProtocolError);
    }
  });

  it('never accepts a packet with a flipped bit as session data', async () => {
    await fuzz(
      fc.property(fc.integer({ min: 4, max: valid.length - 1 }), fc.integer({ min: 0, max: 7 }), (index, bit) => {
        const damaged = Buffer.from(valid);
        damaged[index] = (damaged[index] ?? 0) ^ (1 << bit);
        try {
          // A flipped auth type can leave a parseable IPMI 1.5 header, which no session answer matches.
          expect(decodeDatagram(damaged, security3).kind).not.toBe('v2.0');
        } catch (error) {
          expect(error).toBeInstanceOf(IpmiProtocolError);
        }
      }),
      { runs: 300 },
    );
  });
});
