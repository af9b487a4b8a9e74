/**
 * A minimal ISO9660 writer with a Joliet tree: enough for a config drive
 * (a few small files under a volume label), and pure, so the image is built
 * in memory without temporary directories or a child process. The primary
 * tree carries upper-case d-character names as ECMA-119 requires; the Joliet
 * tree carries the real lower-case names, which Linux's isofs (and so
 * cloud-init and glean), Windows and libblkid read in preference. No Rock
 * Ridge: Joliet alone keeps `meta_data.json` intact on every reader that
 * looks for a config drive. Files are laid out once, shared by both trees.
 */
import { IsoWriteError } from './errors.js';
import {
  DescriptorType,
  DR,
  DR_FIXED,
  FileFlag,
  FIRST_DESCRIPTOR_SECTOR,
  JOLIET_LEVEL_3,
  recordDate,
  SECTOR,
  sectorsFor,
  STANDARD_ID,
  ucs2be,
  VD,
  volumeDate,
  writeBoth16,
  writeBoth32,
} from './iso9660-layout.js';

export interface IsoFile {
  /** Relative, `/`-separated: `openstack/latest/meta_data.json`. */
  path: string;
  data: Buffer;
}

export interface IsoOptions {
  /** The volume label readers find the image by (`config-2`); at most 16 characters so Joliet holds it whole. */
  volumeId: string;
  /** Every timestamp in the image. A fixed default keeps the same input the same bytes (and checksum). */
  recordedAt?: Date;
  /** Refuses to lay out a larger image. */
  maxBytes?: number;
}

/** ECMA-119 caps a data length at 32 bits. */
const MAX_FILE_BYTES = 0xffff_ffff;
/** Joliet allows 64 UCS-2 characters per name. */
const MAX_JOLIET_NAME = 64;
const MAX_DEPTH = 8;
/** Characters Joliet forbids in a name (and control characters). */
const JOLIET_FORBIDDEN = /[\x00-\x1f*/:;?\\]/;

interface FileNode {
  kind: 'file';
  name: string;
  data: Buffer;
  extent: number;
}

interface DirNode {
  kind: 'dir';
  name: string;
  parent: DirNode | null;
  children: Map<string, FileNode | DirNode>;
}

/** One directory as one tree (primary or Joliet) writes it. */
interface DirLayout {
  node: DirNode;
  /** 1-based, the path table's numbering. */
  number: number;
  parentNumber: number;
  identifier: Buffer;
  /** Children sorted by identifier, with the identifier each gets in this tree. */
  entries: { node: FileNode | DirNode; identifier: Buffer }[];
  extent: number;
  bytes: number;
}

interface Tree {
  joliet: boolean;
  dirs: DirLayout[];
  pathTableBytes: number;
  lPathTable: number;
  mPathTable: number;
}

export function writeIso9660(files: IsoFile[], options: IsoOptions): Buffer {
  const recordedAt = options.recordedAt ?? new Date(0);
  if (options.volumeId.length === 0 || options.volumeId.length > 16) {
    throw new IsoWriteError('volumeId', 'must be 1 to 16 characters');
  }
  const root = buildTree(files);
  const primary = layoutTree(root, false);
  const joliet = layoutTree(root, true);

  // Sectors: system area, PVD, SVD, terminator, then path tables, directories, file data.
  let next = FIRST_DESCRIPTOR_SECTOR + 3;
  for (const tree of [primary, joliet]) {
    const sectors = sectorsFor(tree.pathTableBytes);
    tree.lPathTable = next;
    tree.mPathTable = next + sectors;
    next += 2 * sectors;
  }
  for (const tree of [primary, joliet]) {
    for (const dir of tree.dirs) {
      dir.extent = next;
      next += dir.bytes / SECTOR;
    }
  }
  for (const file of allFiles(root)) {
    file.extent = next;
    next += sectorsFor(file.data.length);
  }
  const totalBytes = next * SECTOR;
  if (options.maxBytes !== undefined && totalBytes > options.maxBytes) {
    throw new IsoWriteError('/', `would take ${totalBytes} bytes, more than the ${options.maxBytes} allowed`);
  }

  const image = Buffer.alloc(totalBytes);
  writeDescriptor(image, FIRST_DESCRIPTOR_SECTOR, primary, options.volumeId, next, recordedAt);
  writeDescriptor(image, FIRST_DESCRIPTOR_SECTOR + 1, joliet, options.volumeId, next, recordedAt);
  const terminator = (FIRST_DESCRIPTOR_SECTOR + 2) * SECTOR;
  image[terminator + VD.type] = DescriptorType.terminator;
  image.write(STANDARD_ID, terminator + VD.id, 'ascii');
  image[terminator + VD.version] = 1;
  for (const tree of [primary, joliet]) {
    writePathTable(image, tree, tree.lPathTable, 'le');
    writePathTable(image, tree, tree.mPathTable, 'be');
    for (const dir of tree.dirs) writeDirectory(image, tree, dir, recordedAt);
  }
  for (const file of allFiles(root)) file.data.copy(image, file.extent * SECTOR);
  return image;
}

function buildTree(files: IsoFile[]): DirNode {
  const root: DirNode = { kind: 'dir', name: '', parent: null, children: new Map() };
  for (const file of files) {
    const segments = file.path.split('/');
    if (segments.length > MAX_DEPTH) throw new IsoWriteError(file.path, `is deeper than ${MAX_DEPTH} levels`);
    if (file.data.length > MAX_FILE_BYTES) throw new IsoWriteError(file.path, 'is larger than 4 GiB');
    let dir = root;
    for (const [index, segment] of segments.entries()) {
      checkName(file.path, segment);
      const last = index === segments.length - 1;
      const existing = dir.children.get(segment);
      if (last) {
        if (existing) throw new IsoWriteError(file.path, 'is given twice, or is also a directory');
        dir.children.set(segment, { kind: 'file', name: segment, data: file.data, extent: 0 });
      } else if (existing?.kind === 'file') {
        throw new IsoWriteError(file.path, `has a file where directory ${segment} should be`);
      } else if (existing) {
        dir = existing;
      } else {
        const child: DirNode = { kind: 'dir', name: segment, parent: dir, children: new Map() };
        dir.children.set(segment, child);
        dir = child;
      }
    }
  }
  return root;
}

function checkName(path: string, name: string): void {
  if (name === '' || name === '.' || name === '..') throw new IsoWriteError(path, 'has an empty, "." or ".." segment');
  if (name.length > MAX_JOLIET_NAME)
    throw new IsoWriteError(path, `has a name longer than ${MAX_JOLIET_NAME} characters`);
  if (JOLIET_FORBIDDEN.test(name))
    throw new IsoWriteError(path, 'has a character Joliet forbids (* : ; ? \\ or a control character)');
  // Joliet is UCS-2: characters outside the Basic Multilingual Plane have no encoding.
  if (/[\ud800-\udfff]/.test(name)) throw new IsoWriteError(path, 'has a character outside UCS-2');
}

/** Breadth-first, children sorted: the order ECMA-119 6.9.1 requires of the path table. */
function layoutTree(root: DirNode, joliet: boolean): Tree {
  const dirs: DirLayout[] = [];
  const queue: { node: DirNode; parentNumber: number; identifier: Buffer }[] = [
    { node: root, parentNumber: 1, identifier: Buffer.from([0]) },
  ];
  for (let item = queue.shift(); item; item = queue.shift()) {
    const number = dirs.length + 1;
    const entries = identifiers(item.node, joliet);
    const recordBytes = [dotRecordLength(), dotRecordLength(), ...entries.map((e) => recordLength(e.identifier))];
    dirs.push({ ...item, number, entries, extent: 0, bytes: packedBytes(recordBytes) });
    for (const entry of entries) {
      if (entry.node.kind === 'dir')
        queue.push({ node: entry.node, parentNumber: number, identifier: entry.identifier });
    }
  }
  const pathTableBytes = dirs.reduce((sum, dir) => sum + 8 + dir.identifier.length + (dir.identifier.length % 2), 0);
  return { joliet, dirs, pathTableBytes, lPathTable: 0, mPathTable: 0 };
}

function identifiers(dir: DirNode, joliet: boolean): { node: FileNode | DirNode; identifier: Buffer }[] {
  const taken = new Set<string>();
  const entries = [...dir.children.values()].map((node) => {
    if (joliet) return { node, identifier: ucs2be(node.kind === 'file' ? `${node.name};1` : node.name) };
    const name = uniqueDName(node, taken);
    return { node, identifier: Buffer.from(name, 'ascii') };
  });
  return entries.sort((a, b) => Buffer.compare(a.identifier, b.identifier));
}

/**
 * The primary tree's name: d-characters only (A-Z 0-9 _), at most 30
 * characters for a file plus `;1`, 31 for a directory (ECMA-119 level 2).
 * Names that collide after the mapping get a numeric suffix.
 */
function uniqueDName(node: FileNode | DirNode, taken: Set<string>): string {
  const dchars = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  let base: string;
  let ext = '';
  if (node.kind === 'file') {
    const dot = node.name.lastIndexOf('.');
    base = dchars(dot > 0 ? node.name.slice(0, dot) : node.name);
    ext = dot > 0 ? dchars(node.name.slice(dot + 1)).slice(0, 8) : '';
  } else {
    base = dchars(node.name);
  }
  const limit = node.kind === 'file' ? 30 - ext.length - 1 : 31;
  for (let n = 0; ; n++) {
    const suffix = n === 0 ? '' : `_${n}`;
    const stem = base.slice(0, limit - suffix.length) + suffix;
    const name = node.kind === 'file' ? `${stem}.${ext};1` : stem;
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

function recordLength(identifier: Buffer): number {
  return DR_FIXED + identifier.length + ((identifier.length + 1) % 2);
}

function dotRecordLength(): number {
  return recordLength(Buffer.from([0]));
}

/** A record never crosses a sector boundary (ECMA-119 6.8.1.1); a directory fills whole sectors. */
function packedBytes(lengths: number[]): number {
  let sectors = 1;
  let used = 0;
  for (const length of lengths) {
    if (used + length > SECTOR) {
      sectors++;
      used = 0;
    }
    used += length;
  }
  return sectors * SECTOR;
}

function* allFiles(dir: DirNode): Generator<FileNode> {
  for (const child of dir.children.values()) {
    if (child.kind === 'file') yield child;
    else yield* allFiles(child);
  }
}

function text(joliet: boolean, value: string, bytes: number): Buffer {
  const out = joliet ? Buffer.alloc(bytes) : Buffer.alloc(bytes, 0x20);
  if (joliet) {
    // Joliet pads its UCS-2 strings with UCS-2 spaces.
    for (let i = 0; i + 1 < bytes; i += 2) out.writeUInt16BE(0x0020, i);
    ucs2be(value).copy(out, 0, 0, bytes - (bytes % 2));
  } else {
    out.write(value, 0, bytes, 'ascii');
  }
  return out;
}

function writeDescriptor(
  image: Buffer,
  sector: number,
  tree: Tree,
  volumeId: string,
  totalSectors: number,
  recordedAt: Date,
): void {
  const at = sector * SECTOR;
  const j = tree.joliet;
  image[at + VD.type] = j ? DescriptorType.supplementary : DescriptorType.primary;
  image.write(STANDARD_ID, at + VD.id, 'ascii');
  image[at + VD.version] = 1;
  text(j, '', 32).copy(image, at + VD.systemId);
  text(j, volumeId, 32).copy(image, at + VD.volumeId);
  writeBoth32(image, at + VD.spaceSize, totalSectors);
  if (j) image.write(JOLIET_LEVEL_3, at + VD.escapes, 'ascii');
  writeBoth16(image, at + VD.setSize, 1);
  writeBoth16(image, at + VD.sequence, 1);
  writeBoth16(image, at + VD.blockSize, SECTOR);
  writeBoth32(image, at + VD.pathTableSize, tree.pathTableBytes);
  image.writeUInt32LE(tree.lPathTable, at + VD.lPathTable);
  image.writeUInt32BE(tree.mPathTable, at + VD.mPathTable);
  const root = tree.dirs[0]!;
  directoryRecord(root.extent, root.bytes, FileFlag.directory, Buffer.from([0]), recordedAt).copy(
    image,
    at + VD.rootRecord,
  );
  text(j, '', 128).copy(image, at + VD.volumeSetId);
  text(j, '', 128).copy(image, at + VD.publisherId);
  text(j, '', 128).copy(image, at + VD.preparerId);
  text(j, 'ANVIL', 128).copy(image, at + VD.applicationId);
  text(j, '', 37).copy(image, at + VD.copyrightFileId);
  text(j, '', 37).copy(image, at + VD.abstractFileId);
  text(j, '', 37).copy(image, at + VD.biblioFileId);
  volumeDate(recordedAt).copy(image, at + VD.created);
  volumeDate(recordedAt).copy(image, at + VD.modified);
  volumeDate(null).copy(image, at + VD.expires);
  volumeDate(null).copy(image, at + VD.effective);
  image[at + VD.fileStructureVersion] = 1;
}

function directoryRecord(
  extent: number,
  dataLength: number,
  flags: number,
  identifier: Buffer,
  recordedAt: Date,
): Buffer {
  const record = Buffer.alloc(recordLength(identifier));
  record[DR.length] = record.length;
  writeBoth32(record, DR.extent, extent);
  writeBoth32(record, DR.dataLength, dataLength);
  recordDate(recordedAt).copy(record, DR.recorded);
  record[DR.flags] = flags;
  writeBoth16(record, DR.volumeSequence, 1);
  record[DR.nameLength] = identifier.length;
  identifier.copy(record, DR.name);
  return record;
}

function writeDirectory(image: Buffer, tree: Tree, dir: DirLayout, recordedAt: Date): void {
  const parent = tree.dirs[dir.parentNumber - 1]!;
  const layoutOf = new Map(tree.dirs.map((d) => [d.node, d]));
  const records = [
    directoryRecord(dir.extent, dir.bytes, FileFlag.directory, Buffer.from([0]), recordedAt),
    directoryRecord(parent.extent, parent.bytes, FileFlag.directory, Buffer.from([1]), recordedAt),
    ...dir.entries.map(({ node, identifier }) => {
      if (node.kind === 'file') return directoryRecord(node.extent, node.data.length, 0, identifier, recordedAt);
      const child = layoutOf.get(node)!;
      return directoryRecord(child.extent, child.bytes, FileFlag.directory, identifier, recordedAt);
    }),
  ];
  let offset = dir.extent * SECTOR;
  let used = 0;
  for (const record of records) {
    if (used + record.length > SECTOR) {
      offset += SECTOR - used;
      used = 0;
    }
    record.copy(image, offset);
    offset += record.length;
    used += record.length;
  }
}

function writePathTable(image: Buffer, tree: Tree, sector: number, order: 'le' | 'be'): void {
  let offset = sector * SECTOR;
  for (const dir of tree.dirs) {
    image[offset] = dir.identifier.length;
    image[offset + 1] = 0;
    if (order === 'le') {
      image.writeUInt32LE(dir.extent, offset + 2);
      image.writeUInt16LE(dir.parentNumber, offset + 6);
    } else {
      image.writeUInt32BE(dir.extent, offset + 2);
      image.writeUInt16BE(dir.parentNumber, offset + 6);
    }
    dir.identifier.copy(image, offset + 8);
    offset += 8 + dir.identifier.length + (dir.identifier.length % 2);
  }
}
