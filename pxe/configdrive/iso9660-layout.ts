/**
 * ECMA-119 (ISO9660) and Joliet on-disk constants and field encodings,
 * shared by the writer and the reader so both agree byte for byte.
 */

export const SECTOR = 2048;
/** Sectors 0-15 are the system area; volume descriptors start at 16. */
export const FIRST_DESCRIPTOR_SECTOR = 16;
export const STANDARD_ID = 'CD001';

export const DescriptorType = { primary: 1, supplementary: 2, terminator: 255 } as const;

/** Joliet's escape sequences (UCS-2 levels 1-3) in a supplementary descriptor at offset 88. */
export const JOLIET_ESCAPES = ['%/@', '%/C', '%/E'] as const;
/** The one the writer declares: UCS-2 level 3, as mkisofs and xorriso do. */
export const JOLIET_LEVEL_3 = '%/E';

/** Directory record flags (ECMA-119 9.1.6). */
export const FileFlag = { directory: 0x02, multiExtent: 0x80 } as const;

/** Offsets inside a volume descriptor (ECMA-119 8.4). */
export const VD = {
  type: 0,
  id: 1,
  version: 6,
  systemId: 8,
  volumeId: 40,
  spaceSize: 80,
  escapes: 88,
  setSize: 120,
  sequence: 124,
  blockSize: 128,
  pathTableSize: 132,
  lPathTable: 140,
  mPathTable: 148,
  rootRecord: 156,
  volumeSetId: 190,
  publisherId: 318,
  preparerId: 446,
  applicationId: 574,
  copyrightFileId: 702,
  abstractFileId: 739,
  biblioFileId: 776,
  created: 813,
  modified: 830,
  expires: 847,
  effective: 864,
  fileStructureVersion: 881,
} as const;

/** Offsets inside a directory record (ECMA-119 9.1). */
export const DR = {
  length: 0,
  extent: 2,
  dataLength: 10,
  recorded: 18,
  flags: 25,
  volumeSequence: 28,
  nameLength: 32,
  name: 33,
} as const;

/** Fixed part of a directory record; the name and a pad byte to an even length follow. */
export const DR_FIXED = 33;

export function writeBoth32(target: Buffer, offset: number, value: number): void {
  target.writeUInt32LE(value, offset);
  target.writeUInt32BE(value, offset + 4);
}

export function writeBoth16(target: Buffer, offset: number, value: number): void {
  target.writeUInt16LE(value, offset);
  target.writeUInt16BE(value, offset + 2);
}

/** UCS-2 big-endian, Joliet's encoding of names and descriptor strings. */
export function ucs2be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  return le.swap16();
}

export function fromUcs2be(bytes: Buffer): string {
  return Buffer.from(bytes).swap16().toString('utf16le');
}

/** The 7-byte recording date of a directory record, in UTC (offset 0). */
export function recordDate(date: Date): Buffer {
  return Buffer.from([
    date.getUTCFullYear() - 1900,
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    0,
  ]);
}

/** The 17-byte volume descriptor date (`YYYYMMDDHHMMSScc` and a zone byte); null writes "not specified". */
export function volumeDate(date: Date | null): Buffer {
  if (date === null) return Buffer.concat([Buffer.from('0'.repeat(16), 'ascii'), Buffer.from([0])]);
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const digits =
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2) +
    pad(Math.floor(date.getUTCMilliseconds() / 10), 2);
  return Buffer.concat([Buffer.from(digits, 'ascii'), Buffer.from([0])]);
}

export function sectorsFor(bytes: number): number {
  return Math.ceil(bytes / SECTOR);
}
