import { describe, expect, it } from 'vitest';
import { negotiate } from '../../../../pxe/tftp/options.js';

const limits = { maxBlksize: 65464, maxWindowsize: 16, maxWindowBytes: 1 << 30 };
const opts = (pairs: [string, string][]) => pairs.map(([name, value]) => ({ name, value }));

describe('option negotiation', () => {
  it('keeps RFC 1350 defaults and sends no OACK when nothing is asked', () => {
    expect(negotiate([], limits, 100)).toEqual({ blksize: 512, windowsize: 1, timeoutSeconds: null, accepted: [] });
  });

  it('accepts blksize, tsize, timeout and windowsize, answering in the client order and spelling', () => {
    const result = negotiate(
      opts([
        ['WindowSize', '8'],
        ['tsize', '0'],
        ['BLKSIZE', '1468'],
        ['timeout', '3'],
      ]),
      limits,
      673312,
    );
    expect(result).toEqual({
      blksize: 1468,
      windowsize: 8,
      timeoutSeconds: 3,
      accepted: opts([
        ['WindowSize', '8'],
        ['tsize', '673312'],
        ['BLKSIZE', '1468'],
        ['timeout', '3'],
      ]),
    });
  });

  it.each([
    ['8', 8],
    ['65464', 65464],
    ['65535', 65464],
    ['9999999', 65464],
  ])('answers blksize %s with %i (RFC 2348: a smaller block when the server cannot do more)', (asked, answered) => {
    expect(negotiate(opts([['blksize', asked]]), limits, 1).blksize).toBe(answered);
  });

  it('answers a blksize above the configured maximum with the maximum', () => {
    expect(negotiate(opts([['blksize', '9000']]), { ...limits, maxBlksize: 1468 }, 1).accepted).toEqual(
      opts([['blksize', '1468']]),
    );
  });

  it.each([
    ['blksize', '7'],
    ['blksize', '-1'],
    ['blksize', '1e3'],
    ['blksize', ''],
    ['timeout', '0'],
    ['timeout', '256'],
    ['windowsize', '0'],
    ['windowsize', '65536'],
    ['multicast', ''],
    ['utimeout', '1000'],
  ])('leaves the invalid or unknown option %s=%j out of the OACK', (name, value) => {
    const result = negotiate(opts([[name, value]]), limits, 1);
    expect(result.accepted).toEqual([]);
    expect(result).toMatchObject({ blksize: 512, windowsize: 1, timeoutSeconds: null });
  });

  it('caps windowsize at the server maximum (RFC 7440 §3)', () => {
    expect(negotiate(opts([['windowsize', '64']]), limits, 1).accepted).toEqual(opts([['windowsize', '16']]));
  });

  it.each([
    [
      [
        ['windowsize', '8'],
        ['blksize', '65464'],
      ],
      '1',
      '65464',
    ],
    [
      [
        ['blksize', '8192'],
        ['windowsize', '16'],
      ],
      '8',
      '8192',
    ],
    [
      [
        ['windowsize', '16'],
        ['blksize', '1468'],
      ],
      '16',
      '1468',
    ],
  ] as [[string, string][], string, string][])(
    'shrinks the window to fit maxWindowBytes, whatever the option order (%j)',
    (asked, windowsize, blksize) => {
      const result = negotiate(opts(asked), { ...limits, maxWindowBytes: 65536 }, 1);
      expect(Object.fromEntries(result.accepted.map((o) => [o.name, o.value]))).toEqual({ windowsize, blksize });
      expect(result.windowsize).toBe(Number(windowsize));
    },
  );

  it('omits tsize when the size is unknown (a generated stream)', () => {
    expect(negotiate(opts([['tsize', '0']]), limits, null).accepted).toEqual([]);
  });

  it('answers the first of repeated options only', () => {
    expect(
      negotiate(
        opts([
          ['blksize', '1024'],
          ['blksize', '2048'],
        ]),
        limits,
        1,
      ).accepted,
    ).toEqual(opts([['blksize', '1024']]));
  });
});
