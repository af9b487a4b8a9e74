// Builds a small ISO 9660 image in memory (primary volume only, plain
// upper-case names, one sector per directory), enough to give the sim's
// reader a config drive or a boot ISO without any tool installed.

const SECTOR = 2048;

interface Dir {
  name: string;
  dirs: Map<string, Dir>;
  files: Map<string, Buffer>;
  lba: number;
}

export function buildIso(files: Record<string, string | Buffer>): Buffer {
  const root: Dir = { name: '', dirs: new Map(), files: new Map(), lba: 0 };
  for (const [path, content] of Object.entries(files)) {
    const parts = path.split('/');
    const fileName = parts.pop() as string;
    let dir = root;
    for (const part of parts) {
      let next = dir.dirs.get(part);
      if (next === undefined) {
        next = { name: part, dirs: new Map(), files: new Map(), lba: 0 };
        dir.dirs.set(part, next);
      }
      dir = next;
    }
    dir.files.set(fileName, Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'));
  }
  const dirs: Dir[] = [];
  const walk = (d: Dir): void => {
    dirs.push(d);
    for (const child of d.dirs.values()) walk(child);
  };
  walk(root);
  let next = 18;
  for (const d of dirs) d.lba = next++;
  const fileLba = new Map<Buffer, number>();
  for (const d of dirs) {
    for (const content of d.files.values()) {
      fileLba.set(content, next);
      next += Math.max(1, Math.ceil(content.length / SECTOR));
    }
  }
  const image = Buffer.alloc(next * SECTOR);
  const pvd = image.subarray(16 * SECTOR, 17 * SECTOR);
  pvd[0] = 1;
  pvd.write('CD001', 1, 'ascii');
  pvd[6] = 1;
  record(root.lba, SECTOR, true, Buffer.from([0])).copy(pvd, 156);
  const term = image.subarray(17 * SECTOR, 18 * SECTOR);
  term[0] = 255;
  term.write('CD001', 1, 'ascii');
  term[6] = 1;
  for (const d of dirs) {
    const records = [record(d.lba, SECTOR, true, Buffer.from([0])), record(d.lba, SECTOR, true, Buffer.from([1]))];
    for (const child of d.dirs.values())
      records.push(record(child.lba, SECTOR, true, Buffer.from(child.name.toUpperCase(), 'ascii')));
    for (const [name, content] of d.files)
      records.push(
        record(fileLba.get(content) as number, content.length, false, Buffer.from(`${name.toUpperCase()};1`, 'ascii')),
      );
    Buffer.concat(records).copy(image, d.lba * SECTOR);
    for (const content of d.files.values()) content.copy(image, (fileLba.get(content) as number) * SECTOR);
  }
  return image;
}

function record(lba: number, size: number, directory: boolean, name: Buffer): Buffer {
  const length = 33 + name.length + (name.length % 2 === 0 ? 1 : 0);
  const r = Buffer.alloc(length);
  r[0] = length;
  r.writeUInt32LE(lba, 2);
  r.writeUInt32BE(lba, 6);
  r.writeUInt32LE(size, 10);
  r.writeUInt32BE(size, 14);
  r[25] = directory ? 2 : 0;
  r.writeUInt16LE(1, 28);
  r.writeUInt16BE(1, 30);
  r[32] = name.length;
  name.copy(r, 33);
  return r;
}
