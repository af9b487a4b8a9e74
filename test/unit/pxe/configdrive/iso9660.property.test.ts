import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConfigDriveDecodeError,
  decodeConfigDrive,
  encodeConfigDrive,
  IsoFormatError,
  MAX_CONFIG_DRIVE_BYTES,
  readIso9660,
  writeIso9660,
} from '../../../../pxe/configdrive/index.js';
import { DR, FileFlag, FIRST_DESCRIPTOR_SECTOR, SECTOR, VD } from '../../../../pxe/configdrive/iso9660-layout.js';
import { fuzz, fuzzTimeout } from '../../../support/fuzz.js';

// ISO9660 images reach Anvil from outside: a config drive string in a
// provision request (gzip + base64 of an image), and the images a simulated
// host reads back. Whatever the bytes, reading ends in files or a typed error
// (IsoFormatError, ConfigDriveDecodeError), soon: never a crash, a loop or a
// read outside the image.

/** Longest a single image may take to read: far above a real one's, far below a hang. */
const MAX_READ_MS = 2000;

interface RecordSpec {
  /** A sector number: usually one of the image's own directory sectors, sometimes anything. */
  extent: number;
  size: number;
  flags: number;
  name: Uint8Array;
  /** Added to the record's true length (0: well-formed). */
  lengthError: number;
}

interface ImageSpec {
  joliet: boolean;
  primaryType: number;
  blockSize: number;
  volumeId: string;
  rootExtent: number;
  rootSize: number;
  /** The records of each directory sector, the first at FIRST_DESCRIPTOR_SECTOR + 3. */
  directories: RecordSpec[][];
  /** Where to cut the finished image (a fraction of its length), or null to keep it whole. */
  cut: number | null;
}

const FIRST_DIRECTORY = FIRST_DESCRIPTOR_SECTOR + 3;

/** A sector the image has, one it has not, or a number no image has. */
const extent = (directories: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: FIRST_DIRECTORY, max: FIRST_DIRECTORY + directories - 1 }) },
    fc.constantFrom(0, FIRST_DESCRIPTOR_SECTOR, FIRST_DESCRIPTOR_SECTOR + 2, 0xffff, 0x7fffffff, 0xffffffff),
    fc.nat({ max: 0xffffffff }),
  );

const size = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0, 1, 34, SECTOR, SECTOR, SECTOR, 2 * SECTOR) },
  fc.constantFrom(SECTOR - 1, 0x7fffffff, 0xffffffff),
  fc.nat({ max: 0xffffffff }),
);

const record = (directories: number): fc.Arbitrary<RecordSpec> =>
  fc.record({
    extent: extent(directories),
    size,
    flags: fc.oneof(fc.constantFrom(0, FileFlag.directory, FileFlag.multiExtent, 0xff), fc.nat({ max: 255 })),
    name: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('A', 'B.TXT;1', 'meta_data.json', 'x.').map((s) => Buffer.from(s)) },
      fc.constantFrom(Buffer.from([0]), Buffer.from([1]), Buffer.from('.'), Buffer.from('..'), Buffer.from('a/b')),
      fc.uint8Array({ minLength: 0, maxLength: 255 }),
    ),
    lengthError: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: -40, max: 255 })),
  });

const imageSpec: fc.Arbitrary<ImageSpec> = fc.integer({ min: 1, max: 6 }).chain((directories) =>
  fc.record({
    joliet: fc.boolean(),
    primaryType: fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, fc.nat({ max: 255 })),
    blockSize: fc.oneof({ weight: 5, arbitrary: fc.constant(SECTOR) }, fc.nat({ max: 0xffff })),
    volumeId: fc.string({ maxLength: 32 }),
    rootExtent: fc.oneof({ weight: 4, arbitrary: fc.constant(FIRST_DIRECTORY) }, extent(directories)),
    rootSize: fc.oneof({ weight: 4, arbitrary: fc.constant(SECTOR) }, size),
    directories: fc.array(fc.array(record(directories), { maxLength: 70 }), {
      minLength: directories,
      maxLength: directories,
    }),
    cut: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, fc.double({ min: 0, max: 1, noNaN: true })),
  }),
);

function directoryRecord(spec: RecordSpec): Buffer {
  const trueLength = DR.name + spec.name.length + ((DR.name + spec.name.length) % 2);
  const buf = Buffer.alloc(trueLength);
  buf[DR.length] = Math.max(0, Math.min(255, trueLength + spec.lengthError));
  buf.writeUInt32LE(spec.extent >>> 0, DR.extent);
  buf.writeUInt32BE(spec.extent >>> 0, DR.extent + 4);
  buf.writeUInt32LE(spec.size >>> 0, DR.dataLength);
  buf.writeUInt32BE(spec.size >>> 0, DR.dataLength + 4);
  buf[DR.flags] = spec.flags;
  buf[DR.nameLength] = spec.name.length;
  buf.set(spec.name, DR.name);
  return buf;
}

/** Records laid into sectors as a writer would, never across a boundary (the reader may still be lied to by lengths). */
function directorySectors(records: RecordSpec[]): Buffer {
  const sectors: Buffer[] = [];
  let current = Buffer.alloc(SECTOR);
  let at = 0;
  for (const spec of records) {
    const bytes = directoryRecord(spec);
    if (at + bytes.length > SECTOR) {
      sectors.push(current);
      current = Buffer.alloc(SECTOR);
      at = 0;
    }
    bytes.copy(current, at);
    at += bytes.length;
  }
  sectors.push(current);
  return Buffer.concat(sectors);
}

function descriptor(type: number, spec: ImageSpec): Buffer {
  const d = Buffer.alloc(SECTOR);
  d[VD.type] = type;
  d.write('CD001', VD.id, 'ascii');
  d[VD.version] = 1;
  d.write(spec.volumeId.padEnd(32, ' '), VD.volumeId, 'latin1');
  if (type === 2) d.write('%/E', VD.escapes, 'ascii');
  d.writeUInt16LE(spec.blockSize, VD.blockSize);
  d.writeUInt16BE(spec.blockSize, VD.blockSize + 2);
  directoryRecord({
    extent: spec.rootExtent,
    size: spec.rootSize,
    flags: FileFlag.directory,
    name: Buffer.from([0]),
    lengthError: 0,
  }).copy(d, VD.rootRecord);
  return d;
}

/**
 * An image from scratch: the system area, a primary descriptor (and a Joliet
 * one), the terminator, then each directory in sectors of its own (a
 * directory longer than one sector pushes the next ones on: extents that
 * were meant for one directory then land inside another).
 */
function buildImage(spec: ImageSpec): Buffer {
  const terminator = Buffer.alloc(SECTOR);
  terminator[VD.type] = 255;
  terminator.write('CD001', VD.id, 'ascii');
  const parts = [
    Buffer.alloc(FIRST_DESCRIPTOR_SECTOR * SECTOR),
    descriptor(spec.primaryType, spec),
    spec.joliet ? descriptor(2, spec) : Buffer.from(terminator),
    terminator,
    ...spec.directories.map(directorySectors),
  ];
  const image = Buffer.concat(parts);
  return spec.cut === null ? image : image.subarray(0, Math.floor(image.length * spec.cut));
}

/** Reads `image` as the reader must: files inside the image, or IsoFormatError; promptly either way. */
function expectReadOrRefused(image: Buffer): void {
  const started = performance.now();
  try {
    const contents = readIso9660(image);
    for (const [path, data] of contents.files) {
      expect(path.split('/')).not.toContain('');
      expect(path.split('/')).not.toContain('..');
      // A view into the image, never bytes from outside it.
      expect(data.buffer).toBe(image.buffer);
      expect(data.byteOffset + data.length).toBeLessThanOrEqual(image.byteOffset + image.length);
    }
  } catch (error) {
    expect(error).toBeInstanceOf(IsoFormatError);
  }
  expect(performance.now() - started).toBeLessThan(MAX_READ_MS);
}

const VALID = writeIso9660(
  [
    { path: 'openstack/latest/meta_data.json', data: Buffer.from('{"uuid":"u"}') },
    { path: 'openstack/latest/user_data', data: Buffer.from('#cloud-config\n') },
    { path: 'openstack/2012-08-10/meta_data.json', data: Buffer.from('{}') },
  ],
  { volumeId: 'config-2' },
);

// Inflates past the limit: decoding must stop there, not allocate what the data claims.
const BOMB = gzipSync(Buffer.alloc(MAX_CONFIG_DRIVE_BYTES + 1)).toString('base64');

const configDriveString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 200 }) },
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64')),
  fc.uint8Array({ maxLength: 300 }).map((b) => gzipSync(b).toString('base64')),
  fc.nat({ max: VALID.length }).map((n) => gzipSync(VALID.subarray(0, n)).toString('base64')),
  fc.nat().map((n) => {
    const text = encodeConfigDrive(VALID);
    return text.slice(0, n % (text.length + 1));
  }),
  fc.tuple(fc.nat(), fc.nat(255)).map(([at, value]) => {
    const gz = gzipSync(VALID);
    gz[at % gz.length] = value;
    return gz.toString('base64');
  }),
  fc.constantFrom(encodeConfigDrive(VALID).replace(/(.{76})/g, '$1\n'), '====', 'H4sI', ' ', '\u00e9', BOMB),
);

describe('ISO9660 images from outside (fuzz)', { timeout: fuzzTimeout(5_000) }, () => {
  it('reads images built from hostile directory records as files inside the image, or IsoFormatError, promptly', async () => {
    await fuzz(
      fc.property(imageSpec, (spec) => expectReadOrRefused(buildImage(spec))),
      { runs: 400 },
    );
  });

  it('reads a valid image cut anywhere, or with its directory records rewritten, the same way', async () => {
    const edit = fc.record({
      at: fc.integer({ min: FIRST_DESCRIPTOR_SECTOR * SECTOR, max: VALID.length - 1 }),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    });
    await fuzz(
      fc.property(
        fc.array(edit, { maxLength: 6 }),
        fc.option(fc.nat({ max: VALID.length }), { freq: 2 }),
        (edits, cut) => {
          const image = Buffer.from(VALID.subarray(0, cut ?? VALID.length));
          for (const { at, bytes } of edits) if (at < image.length) image.set(bytes.subarray(0, image.length - at), at);
          expectReadOrRefused(image);
        },
      ),
      { runs: 400 },
    );
  });

  it('decodes any config drive string to an image or ConfigDriveDecodeError, bounded, and reads what it decodes', async () => {
    await fuzz(
      fc.property(configDriveString, (text) => {
        let image: Buffer;
        try {
          image = decodeConfigDrive(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigDriveDecodeError);
          return;
        }
        expect(image.length).toBeLessThanOrEqual(MAX_CONFIG_DRIVE_BYTES);
        expectReadOrRefused(image);
      }),
      { runs: 300 },
    );
  });
});
