import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DhcpDecodeError } from '../../../../pxe/dhcp/errors.js';
import type { DhcpOptions } from '../../../../pxe/dhcp/options.js';
import { decodeMessage, encodeMessage, type DhcpMessage } from '../../../../pxe/dhcp/packet.js';
import { fuzz, fuzzTimeout } from '../../../support/fuzz.js';

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const text = fc.string({
  unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 300,
});
const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b));

const options: fc.Arbitrary<DhcpOptions> = fc.record(
  {
    messageType: fc.constantFrom('discover', 'offer', 'request', 'decline', 'ack', 'nak', 'release', 'inform' as const),
    serverId: ipv4,
    leaseTime: fc.nat(),
    subnetMask: ipv4,
    routers: fc.array(ipv4, { minLength: 1, maxLength: 70 }),
    dnsServers: fc.array(ipv4, { minLength: 1, maxLength: 4 }),
    hostname: text,
    requestedIp: ipv4,
    parameterRequestList: fc.array(fc.nat(255), { minLength: 1, maxLength: 20 }),
    message: text,
    maxMessageSize: fc.integer({ min: 576, max: 65535 }),
    vendorClass: text,
    clientId: bytes(2, 40),
    tftpServer: text,
    bootfile: text,
    userClass: bytes(1, 20),
    clientArch: fc.array(fc.nat(65535), { minLength: 1, maxLength: 3 }),
    clientNdi: fc.record({ type: fc.nat(255), major: fc.nat(255), minor: fc.nat(255) }),
    clientUuid: bytes(1, 17),
    vendorSpecific: bytes(0, 300),
    other: fc.array(
      fc.record({ code: fc.constantFrom(2, 15, 28, 42, 81, 119, 150, 175, 209, 224), data: bytes(0, 40) }),
      { maxLength: 1 },
    ),
  },
  { requiredKeys: [] },
);

const message: fc.Arbitrary<DhcpMessage> = fc.record({
  op: fc.constantFrom('request' as const, 'reply' as const),
  htype: fc.nat(255),
  hlen: fc.nat(16),
  hops: fc.nat(255),
  xid: fc.nat({ max: 0xffffffff }),
  secs: fc.nat(0xffff),
  flags: fc.nat(0xffff),
  ciaddr: ipv4,
  yiaddr: ipv4,
  siaddr: ipv4,
  giaddr: ipv4,
  chaddr: bytes(16, 16),
  sname: fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 63 }),
  file: fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 127 }),
  options,
});

/** What decoding gives back for a field the encoder left empty: nothing. */
function normalise(m: DhcpMessage): DhcpMessage {
  const o = { ...m.options };
  if (o.other?.length === 0) delete o.other;
  return { ...m, options: o };
}

describe('DHCP codec properties (fuzz)', { timeout: fuzzTimeout(5_000) }, () => {
  it('decodes whatever it encodes to the same message', async () => {
    await fuzz(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(normalise(m));
      }),
      { runs: 300 },
    );
  });

  it('throws nothing but DhcpDecodeError on random datagrams', async () => {
    await fuzz(
      fc.property(fc.uint8Array({ maxLength: 700 }), (b) => {
        try {
          decodeMessage(b);
        } catch (error) {
          expect(error).toBeInstanceOf(DhcpDecodeError);
        }
      }),
      { runs: 2000 },
    );
  });

  it('throws nothing but DhcpDecodeError on valid messages truncated or with one octet changed', async () => {
    await fuzz(
      fc.property(message, fc.nat(), fc.nat(255), fc.boolean(), (m, at, value, truncate) => {
        const wire = encodeMessage(m);
        const damaged = truncate ? wire.subarray(0, at % wire.length) : Buffer.from(wire);
        if (!truncate) damaged[at % wire.length] = value;
        try {
          decodeMessage(damaged);
        } catch (error) {
          expect(error).toBeInstanceOf(DhcpDecodeError);
        }
      }),
      { runs: 1000 },
    );
  });
});
