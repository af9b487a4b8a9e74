/**
 * Reads the files back out of an ISO9660 image: for tests, and for whoever
 * must look inside a config drive without mounting it (the simulated host
 * checks what its OS would have seen). It walks the Joliet tree when there is
 * one (Anvil's images, and xorriso's or genisoimage's with `-J`), so names
 * keep their case; otherwise the primary tree, with `;1` versions dropped.
 * Every offset is bounds-checked: a malformed image is an IsoFormatError,
 * never a crash or a loop.
 */
import { IsoFormatError } from './errors.js';
import {
  DescriptorType,
  DR,
  FileFlag,
  FIRST_DESCRIPTOR_SECTOR,
  fromUcs2be,
  JOLIET_ESCAPES,
  SECTOR,
  STANDARD_ID,
  VD,
} from './iso9660-layout.js';

export interface IsoContents {
  /** The primary volume descriptor's label, trailing spaces removed. */
  volumeId: string;
  /** Whether names came from a Joliet tree. */
  joliet: boolean;
  /** Relative `/`-separated path → contents (views into the image). */
  files: Map<string, Buffer>;
}

/** Descriptors a reader looks at before giving up on finding the terminator. */
const MAX_DESCRIPTORS = 64;
const MAX_DEPTH = 32;
const MAX_ENTRIES = 100_000;

export function readIso9660(image: Buffer): IsoContents {
  let primary: number | null = null;
  let joliet: number | null = null;
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const at = (FIRST_DESCRIPTOR_SECTOR + i) * SECTOR;
    if (at + SECTOR > image.length) throw new IsoFormatError('no volume descriptor set terminator');
    if (image.toString('ascii', at + VD.id, at + VD.id + 5) !== STANDARD_ID)
      throw new IsoFormatError(`sector ${FIRST_DESCRIPTOR_SECTOR + i} is not a volume descriptor`);
    const type = image[at + VD.type];
    if (type === DescriptorType.terminator) break;
    if (type === DescriptorType.primary && primary === null) primary = at;
    if (type === DescriptorType.supplementary && joliet === null) {
      const escapes = image.toString('ascii', at + VD.escapes, at + VD.escapes + 3);
      if ((JOLIET_ESCAPES as readonly string[]).includes(escapes)) joliet = at;
    }
  }
  if (primary === null) throw new IsoFormatError('no primary volume descriptor');
  const volumeId = image.toString('ascii', primary + VD.volumeId, primary + VD.volumeId + 32).replace(/[ \x00]+$/, '');
  const descriptor = joliet ?? primary;
  const blockSize = image.readUInt16LE(descriptor + VD.blockSize);
  if (blockSize !== SECTOR) throw new IsoFormatError(`logical block size ${blockSize} is not ${SECTOR}`);
  const files = new Map<string, Buffer>();
  const walker = new Walker(image, joliet !== null, files);
  const root = walker.record(descriptor + VD.rootRecord, descriptor + VD.rootRecord + 34);
  walker.directory(root.extent, root.size, '', 0);
  return { volumeId, joliet: joliet !== null, files };
}

interface DirRecord {
  length: number;
  extent: number;
  size: number;
  flags: number;
  identifier: Buffer;
}

class Walker {
  private readonly visited = new Set<number>();
  private entries = 0;

  constructor(
    private readonly image: Buffer,
    private readonly joliet: boolean,
    private readonly files: Map<string, Buffer>,
  ) {}

  record(at: number, limit: number): DirRecord {
    if (at + DR.name > limit || at + DR.name > this.image.length)
      throw new IsoFormatError(`directory record at byte ${at} is truncated`);
    const length = this.image[at + DR.length]!;
    const nameLength = this.image[at + DR.nameLength]!;
    if (length < DR.name + nameLength || at + length > limit)
      throw new IsoFormatError(`directory record at byte ${at} has a bad length`);
    return {
      length,
      extent: this.image.readUInt32LE(at + DR.extent),
      size: this.image.readUInt32LE(at + DR.dataLength),
      flags: this.image[at + DR.flags]!,
      identifier: this.image.subarray(at + DR.name, at + DR.name + nameLength),
    };
  }

  directory(extent: number, size: number, prefix: string, depth: number): void {
    if (depth > MAX_DEPTH) throw new IsoFormatError(`directories nest deeper than ${MAX_DEPTH}`);
    if (this.visited.has(extent)) throw new IsoFormatError(`directory at sector ${extent} is reached twice`);
    this.visited.add(extent);
    const start = extent * SECTOR;
    const end = start + size;
    if (end > this.image.length) throw new IsoFormatError(`directory at sector ${extent} runs past the image`);
    let at = start;
    while (at < end) {
      if (this.image[at] === 0) {
        // Records never cross a sector boundary: a zero length means "the rest of this sector is padding".
        at = start + (Math.floor((at - start) / SECTOR) + 1) * SECTOR;
        continue;
      }
      const record = this.record(at, end);
      at += record.length;
      const id = record.identifier;
      if (id.length === 1 && (id[0] === 0 || id[0] === 1)) continue;
      if (++this.entries > MAX_ENTRIES) throw new IsoFormatError(`more than ${MAX_ENTRIES} entries`);
      const name = this.name(id);
      if (name === '' || name === '.' || name === '..' || name.includes('/'))
        throw new IsoFormatError(`bad name ${JSON.stringify(name)}`);
      const path = prefix === '' ? name : `${prefix}/${name}`;
      if (record.flags & FileFlag.directory) {
        this.directory(record.extent, record.size, path, depth + 1);
      } else {
        if (record.flags & FileFlag.multiExtent)
          throw new IsoFormatError(`${path} spans several extents, which this reader does not join`);
        const from = record.extent * SECTOR;
        if (from + record.size > this.image.length) throw new IsoFormatError(`${path} runs past the image`);
        this.files.set(path, this.image.subarray(from, from + record.size));
      }
    }
  }

  private name(identifier: Buffer): string {
    const raw = this.joliet
      ? fromUcs2be(identifier.subarray(0, identifier.length - (identifier.length % 2)))
      : identifier.toString('latin1');
    // `;1` is the version; a primary-tree name without extension keeps a lone trailing dot.
    const unversioned = raw.replace(/;\d+$/, '');
    return this.joliet ? unversioned : unversioned.replace(/\.$/, '');
  }
}
