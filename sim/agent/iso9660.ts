// A minimal ISO 9660 reader (ECMA-119), enough to read a config drive and
// the boot config of an agent ISO: volume descriptors, directory records,
// and file extents. Names come from Joliet (UCS-2, as genisoimage -J and
// xorriso -J write) when the image has it, else from Rock Ridge NM entries,
// else from the plain 8.3 names compared without case. Reads go through
// `readAt`, so the same code reads a buffer in memory or an ISO on an HTTP
// server by Range requests, a few sectors at a time.

/** Reads `length` bytes at `offset` (fewer at the end of the image). */
export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

const SECTOR = 2048;
const FIRST_DESCRIPTOR = 16;
/** ECMA-119 leaves room for a few descriptors; real images have 2 to 4 before the terminator. */
const MAX_DESCRIPTORS = 16;
const TYPE_PRIMARY = 1;
const TYPE_SUPPLEMENTARY = 2;
const TYPE_TERMINATOR = 255;
const FLAG_DIRECTORY = 0x02;
/** Directories larger than this are not what a config drive or a boot ISO holds. */
const MAX_DIRECTORY_BYTES = 1024 * 1024;

export class IsoFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IsoFormatError';
  }
}

interface Extent {
  lba: number;
  size: number;
  directory: boolean;
}

type Naming = 'joliet' | 'primary';

export class IsoImage {
  private constructor(
    private readonly readAt: ReadAt,
    private readonly root: Extent,
    private readonly naming: Naming,
  ) {}

  static async open(readAt: ReadAt): Promise<IsoImage> {
    let primary: Extent | null = null;
    for (let i = 0; i < MAX_DESCRIPTORS; i++) {
      const descriptor = await readAt((FIRST_DESCRIPTOR + i) * SECTOR, SECTOR);
      if (descriptor.length < SECTOR || descriptor.toString('ascii', 1, 6) !== 'CD001') {
        throw new IsoFormatError(`no ISO 9660 volume descriptor at sector ${FIRST_DESCRIPTOR + i}`);
      }
      const type = descriptor[0];
      if (type === TYPE_TERMINATOR) break;
      if (type === TYPE_SUPPLEMENTARY && isJoliet(descriptor))
        return new IsoImage(readAt, recordExtent(descriptor, 156), 'joliet');
      if (type === TYPE_PRIMARY) primary = recordExtent(descriptor, 156);
    }
    if (primary === null) throw new IsoFormatError('no primary volume descriptor');
    return new IsoImage(readAt, primary, 'primary');
  }

  /** A file's bytes by slash-separated path, or null when there is no such file. */
  async readFile(path: string, maxBytes: number): Promise<Buffer | null> {
    const extent = await this.find(path);
    if (extent === null || extent.directory) return null;
    if (extent.size > maxBytes)
      throw new IsoFormatError(`${path} is ${extent.size} bytes, more than the ${maxBytes} read`);
    return this.readAt(extent.lba * SECTOR, extent.size);
  }

  private async find(path: string): Promise<Extent | null> {
    let current = this.root;
    for (const part of path.split('/').filter((p) => p !== '')) {
      if (!current.directory) return null;
      const entries = await this.list(current);
      const next = entries.get(this.naming === 'joliet' ? part : part.toLowerCase());
      if (next === undefined) return null;
      current = next;
    }
    return current;
  }

  private async list(directory: Extent): Promise<Map<string, Extent>> {
    if (directory.size > MAX_DIRECTORY_BYTES) throw new IsoFormatError(`a directory of ${directory.size} bytes`);
    const data = await this.readAt(directory.lba * SECTOR, directory.size);
    const entries = new Map<string, Extent>();
    let offset = 0;
    while (offset < data.length) {
      const length = data[offset] ?? 0;
      if (length === 0) {
        // Records never cross a sector boundary; the rest of this sector is padding.
        offset = (Math.floor(offset / SECTOR) + 1) * SECTOR;
        continue;
      }
      if (offset + length > data.length || length < 34)
        throw new IsoFormatError('directory record runs past its directory');
      const record = data.subarray(offset, offset + length);
      offset += length;
      const nameLength = record[32] ?? 0;
      const rawName = record.subarray(33, 33 + nameLength);
      // The first two records are "." and "..", named by one byte 0 and 1.
      if (nameLength === 1 && ((rawName[0] ?? 0) === 0 || (rawName[0] ?? 0) === 1)) continue;
      entries.set(this.nameOf(record, rawName), recordExtent(record, 0));
    }
    return entries;
  }

  private nameOf(record: Buffer, rawName: Buffer): string {
    if (this.naming === 'joliet') return stripVersion(ucs2be(rawName));
    const rockRidge = rockRidgeName(record, rawName.length);
    if (rockRidge !== null) return rockRidge.toLowerCase();
    return stripVersion(rawName.toString('ascii')).replace(/\.$/, '').toLowerCase();
  }
}

/** An ISO held in memory, as a decoded config drive is. */
export function bufferReader(image: Buffer): ReadAt {
  return async (offset, length) => image.subarray(offset, offset + length);
}

function isJoliet(descriptor: Buffer): boolean {
  // Escape sequences %/@, %/C or %/E (UCS-2 levels 1 to 3) at byte 88.
  const escape = descriptor.toString('ascii', 88, 91);
  return escape === '%/@' || escape === '%/C' || escape === '%/E';
}

/** Extent location and size are stored both-endian; the little-endian half is read. */
function recordExtent(buffer: Buffer, at: number): Extent {
  return {
    lba: buffer.readUInt32LE(at + 2),
    size: buffer.readUInt32LE(at + 10),
    directory: ((buffer[at + 25] ?? 0) & FLAG_DIRECTORY) !== 0,
  };
}

function ucs2be(bytes: Buffer): string {
  const swapped = Buffer.from(bytes);
  swapped.swap16();
  return swapped.toString('utf16le');
}

function stripVersion(name: string): string {
  return name.replace(/;\d+$/, '');
}

/** The Rock Ridge NM entry in the record's system use area (SUSP), when there is one. */
function rockRidgeName(record: Buffer, nameLength: number): string | null {
  let offset = 33 + nameLength + (nameLength % 2 === 0 ? 1 : 0);
  let name = '';
  let found = false;
  while (offset + 4 <= record.length) {
    const signature = record.toString('ascii', offset, offset + 2);
    const length = record[offset + 2] ?? 0;
    if (length < 4 || offset + length > record.length) break;
    if (signature === 'NM') {
      // Flag bit 0 (CONTINUE) means the name goes on in the next NM entry.
      name += record.toString('utf8', offset + 5, offset + length);
      found = true;
    }
    offset += length;
  }
  return found ? name : null;
}
