import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePacket, encodePacket, TftpPacketError, type TftpPacket } from '../../../../pxe/tftp/packet.js';

/** Bytes from a readable spec: numbers are raw bytes, strings are ASCII. */
function bytes(...parts: (number | string)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p, 'ascii'))));
}

describe('TFTP packets, byte for byte', () => {
  const cases: [string, TftpPacket, Buffer][] = [
    // RFC 1350 §5, figure 5-1: | 01/02 | Filename | 0 | Mode | 0 |
    [
      'RFC 1350 RRQ',
      { op: 'RRQ', filename: 'undionly.kpxe', mode: 'octet', options: [] },
      bytes(0, 1, 'undionly.kpxe', 0, 'octet', 0),
    ],
    ['RFC 1350 WRQ', { op: 'WRQ', filename: 'x', mode: 'netascii', options: [] }, bytes(0, 2, 'x', 0, 'netascii', 0)],
    // figure 5-2: | 03 | Block # | Data |
    ['RFC 1350 DATA', { op: 'DATA', block: 1, data: Buffer.from('hello') }, bytes(0, 3, 0, 1, 'hello')],
    ['an empty last DATA block', { op: 'DATA', block: 0x1234, data: Buffer.alloc(0) }, bytes(0, 3, 0x12, 0x34)],
    // figure 5-3: | 04 | Block # |
    ['RFC 1350 ACK', { op: 'ACK', block: 65535 }, bytes(0, 4, 0xff, 0xff)],
    // figure 5-4: | 05 | ErrorCode | ErrMsg | 0 |
    ['RFC 1350 ERROR', { op: 'ERROR', code: 1, message: 'File not found' }, bytes(0, 5, 0, 1, 'File not found', 0)],
    // RFC 2347 §"Example" / RFC 2348: |1|foobar|0|octet|0|blksize|0|1432|0|, answered |6|blksize|0|1432|0|
    [
      'RFC 2348 RRQ with blksize',
      { op: 'RRQ', filename: 'foobar', mode: 'octet', options: [{ name: 'blksize', value: '1432' }] },
      bytes(0, 1, 'foobar', 0, 'octet', 0, 'blksize', 0, '1432', 0),
    ],
    [
      'RFC 2348 OACK',
      { op: 'OACK', options: [{ name: 'blksize', value: '1432' }] },
      bytes(0, 6, 'blksize', 0, '1432', 0),
    ],
    // RFC 2349 §"Example": the RRQ asks |tsize|0|0|0|, the OACK answers |tsize|0|673312|0|
    [
      'RFC 2349 RRQ with tsize and timeout',
      {
        op: 'RRQ',
        filename: 'foobar',
        mode: 'octet',
        options: [
          { name: 'tsize', value: '0' },
          { name: 'timeout', value: '1' },
        ],
      },
      bytes(0, 1, 'foobar', 0, 'octet', 0, 'tsize', 0, '0', 0, 'timeout', 0, '1', 0),
    ],
    [
      'RFC 2349 OACK',
      { op: 'OACK', options: [{ name: 'tsize', value: '673312' }] },
      bytes(0, 6, 'tsize', 0, '673312', 0),
    ],
    // RFC 7440 §"Example": |1|foobar|0|octet|0|windowsize|0|16|0|
    [
      'RFC 7440 RRQ with windowsize',
      { op: 'RRQ', filename: 'foobar', mode: 'octet', options: [{ name: 'windowsize', value: '16' }] },
      bytes(0, 1, 'foobar', 0, 'octet', 0, 'windowsize', 0, '16', 0),
    ],
    ['RFC 2347 OACK error 8', { op: 'ERROR', code: 8, message: '' }, bytes(0, 5, 0, 8, 0)],
  ];

  it.each(cases)('encodes and decodes the %s', (_name, packet, wire) => {
    expect(encodePacket(packet)).toEqual(wire);
    const decoded = decodePacket(wire);
    if (decoded.op === 'DATA' && packet.op === 'DATA')
      expect(Buffer.from(decoded.data)).toEqual(Buffer.from(packet.data));
    else expect(decoded).toEqual(packet);
  });

  it('wraps block numbers past 65535 to 16 bits', () => {
    expect(encodePacket({ op: 'ACK', block: 65536 + 7 })).toEqual(bytes(0, 4, 0, 7));
    expect(encodePacket({ op: 'DATA', block: 65536, data: Buffer.from('z') })).toEqual(bytes(0, 3, 0, 0, 'z'));
  });

  it('refuses to encode a string with a NUL inside', () => {
    expect(() => encodePacket({ op: 'RRQ', filename: 'a\0b', mode: 'octet', options: [] })).toThrow(RangeError);
  });
});

describe('malformed datagrams', () => {
  it.each([
    ['empty', 'too-short', bytes()],
    ['one byte', 'too-short', bytes(0)],
    ['opcode 0', 'unknown-opcode', bytes(0, 0, 'x', 0)],
    ['opcode 7', 'unknown-opcode', bytes(0, 7)],
    ['opcode 0x0100', 'unknown-opcode', bytes(1, 0, 'x', 0, 'octet', 0)],
    ['RRQ without NUL', 'unterminated-string', bytes(0, 1, 'file')],
    ['RRQ without mode', 'unterminated-string', bytes(0, 1, 'file', 0)],
    ['RRQ with a mode not terminated', 'unterminated-string', bytes(0, 1, 'file', 0, 'octet')],
    ['RRQ with an option lacking its value', 'odd-options', bytes(0, 1, 'f', 0, 'octet', 0, 'blksize', 0)],
    ['DATA of 3 bytes', 'too-short', bytes(0, 3, 0)],
    ['ACK of 3 bytes', 'too-short', bytes(0, 4, 0)],
    ['ACK of 5 bytes', 'trailing-bytes', bytes(0, 4, 0, 1, 9)],
    ['ERROR without message', 'unterminated-string', bytes(0, 5, 0, 1)],
    ['ERROR with two strings', 'trailing-bytes', bytes(0, 5, 0, 1, 'a', 0, 'b', 0)],
    ['OACK with an odd option list', 'odd-options', bytes(0, 6, 'tsize', 0)],
  ])('rejects %s as %s', (_name, problem, wire) => {
    let thrown: unknown;
    try {
      decodePacket(wire);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TftpPacketError);
    expect((thrown as TftpPacketError).problem).toBe(problem);
  });
});

const text = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789./-_ ÄéЖ'.split('')),
  maxLength: 40,
});
const option = fc.record({ name: text, value: text });
const packetArb: fc.Arbitrary<TftpPacket> = fc.oneof(
  fc.record({
    op: fc.constantFrom('RRQ' as const, 'WRQ' as const),
    filename: text,
    mode: text,
    options: fc.array(option, { maxLength: 6 }),
  }),
  fc.record({
    op: fc.constant('DATA' as const),
    block: fc.integer({ min: 0, max: 65535 }),
    data: fc.uint8Array({ maxLength: 600 }),
  }),
  fc.record({ op: fc.constant('ACK' as const), block: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({ op: fc.constant('ERROR' as const), code: fc.integer({ min: 0, max: 65535 }), message: text }),
  fc.record({ op: fc.constant('OACK' as const), options: fc.array(option, { maxLength: 6 }) }),
);

function decodesOrRefuses(wire: Uint8Array): void {
  try {
    decodePacket(wire);
  } catch (error) {
    if (!(error instanceof TftpPacketError)) throw error;
  }
}

describe('decoder properties', () => {
  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(packetArb, (packet) => {
        const decoded = decodePacket(encodePacket(packet));
        expect(encodePacket(decoded)).toEqual(encodePacket(packet));
      }),
      { numRuns: 2000 },
    );
  });

  it('answers any datagram with a packet or a TftpPacketError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (wire) => decodesOrRefuses(wire)),
      { numRuns: 5000 },
    );
  });

  it('survives every truncation and byte flip of valid packets', () => {
    fc.assert(
      fc.property(packetArb, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (packet, cut, at, value) => {
        const wire = encodePacket(packet);
        decodesOrRefuses(wire.subarray(0, cut % (wire.length + 1)));
        const flipped = Buffer.from(wire);
        if (flipped.length > 0) flipped[at % flipped.length] = value;
        decodesOrRefuses(flipped);
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes a view into a larger buffer without reading outside it', () => {
    const backing = Buffer.concat([bytes(0, 4, 0, 9), bytes(0, 4, 0, 1)]);
    expect(decodePacket(backing.subarray(4))).toEqual({ op: 'ACK', block: 1 });
  });
});
