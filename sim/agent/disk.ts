// A simulated host's disks, as files in a directory of its own: one sparse
// file per block device the agent wrote to, named for the device (sda.img,
// nvme0n1.img), holding what was written (runs of zeros stay holes, as
// qemu-img and IPA's sparse writes leave them); and the config drive ISO
// beside them, where a real config drive is a partition at the end of the
// root disk. A device never written to has no file: it reads as zeros.
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** erase_devices_metadata wipes partition tables and filesystem signatures, all within the first MiB. */
export const METADATA_BYTES = 1024 * 1024;

const IMAGE_SUFFIX = '.img';

export class HostDisk {
  readonly configDrivePath: string;

  constructor(readonly dir: string) {
    this.configDrivePath = join(dir, 'config-drive.iso');
  }

  /** The file standing for block device `device` (`/dev/sda`). */
  imagePathOf(device: string): string {
    return join(this.dir, `${basename(device)}${IMAGE_SUFFIX}`);
  }

  /**
   * Opens a write of a new image. Bytes go to a side file and replace the
   * disk only at commit, so a download that fails (bad checksum, lost
   * connection) leaves the disk as it was.
   */
  async beginWrite(device: string): Promise<DiskWrite> {
    await mkdir(this.dir, { recursive: true });
    const path = this.imagePathOf(device);
    const partial = `${path}.partial`;
    const handle = await open(partial, 'w');
    return new DiskWrite(handle, partial, path);
  }

  async keepConfigDrive(iso: Buffer): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const handle = await open(this.configDrivePath, 'w');
    try {
      await handle.writeFile(iso);
    } finally {
      await handle.close();
    }
  }

  async dropConfigDrive(): Promise<void> {
    await rm(this.configDrivePath, { force: true });
  }

  async readConfigDrive(): Promise<Buffer | null> {
    const handle = await open(this.configDrivePath, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (handle === null) return null;
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  /** Zeroes every written device, keeping its length: a file of one hole. */
  async eraseAll(): Promise<void> {
    for (const path of await this.writtenDevices()) {
      const size = (await stat(path)).size;
      const handle = await open(path, 'w');
      try {
        await handle.truncate(size);
      } finally {
        await handle.close();
      }
    }
  }

  /**
   * Zeroes the first MiB of every written device (all of a shorter one),
   * keeping its length. Returns the bytes zeroed.
   */
  async eraseMetadata(): Promise<number> {
    let zeroed = 0;
    for (const path of await this.writtenDevices()) {
      const length = Math.min((await stat(path)).size, METADATA_BYTES);
      if (length === 0) continue;
      const handle = await open(path, 'r+');
      try {
        await handle.write(Buffer.alloc(length), 0, length, 0);
      } finally {
        await handle.close();
      }
      zeroed += length;
    }
    return zeroed;
  }

  private async writtenDevices(): Promise<string[]> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    return names.filter((n) => n.endsWith(IMAGE_SUFFIX)).map((n) => join(this.dir, n));
  }
}

/** One image being written: bytes in order, hashed as they pass. */
export class DiskWrite {
  private offset = 0;
  private readonly sha256: Hash = createHash('sha256');
  private closed = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly partialPath: string,
    private readonly finalPath: string,
  ) {}

  get bytes(): number {
    return this.offset;
  }

  async append(chunk: Buffer): Promise<void> {
    this.sha256.update(chunk);
    // All-zero chunks are skipped: the file's final length makes them holes that read back as zeros.
    if (!isZero(chunk)) await this.handle.write(chunk, 0, chunk.length, this.offset);
    this.offset += chunk.length;
  }

  /** Ends the write and makes it the disk; returns the sha256 of what was written. */
  async commit(): Promise<string> {
    await this.handle.truncate(this.offset);
    await this.close();
    await rename(this.partialPath, this.finalPath);
    return this.sha256.digest('hex');
  }

  async abandon(): Promise<void> {
    await this.close();
    await rm(this.partialPath, { force: true });
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

function isZero(chunk: Buffer): boolean {
  for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0) return false;
  return true;
}
