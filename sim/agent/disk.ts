// A simulated host's first disk, as files in a directory of its own: a
// sparse file holding what the agent wrote (runs of zeros stay holes, as
// qemu-img and IPA's sparse writes leave them), and the config drive ISO
// beside it, where a real config drive is a partition at the disk's end.
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** erase_devices_metadata wipes partition tables and filesystem signatures, all within the first MiB. */
export const METADATA_BYTES = 1024 * 1024;

export class HostDisk {
  readonly imagePath: string;
  readonly configDrivePath: string;

  constructor(readonly dir: string) {
    this.imagePath = join(dir, 'disk0.img');
    this.configDrivePath = join(dir, 'config-drive.iso');
  }

  /**
   * Opens a write of a new image. Bytes go to a side file and replace the
   * disk only at commit, so a download that fails (bad checksum, lost
   * connection) leaves the disk as it was.
   */
  async beginWrite(): Promise<DiskWrite> {
    await mkdir(this.dir, { recursive: true });
    const partial = `${this.imagePath}.partial`;
    const handle = await open(partial, 'w');
    return new DiskWrite(handle, partial, this.imagePath);
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

  /** Zeroes the whole disk, keeping its length: a file of one hole. */
  async eraseAll(): Promise<void> {
    const size = await this.imageSize();
    if (size === 0) return;
    const handle = await open(this.imagePath, 'w');
    try {
      await handle.truncate(size);
    } finally {
      await handle.close();
    }
  }

  /** Zeroes the first MiB (or the whole image when shorter), keeping the file's length. Returns the bytes zeroed. */
  async eraseMetadata(): Promise<number> {
    const size = await this.imageSize();
    const length = Math.min(size, METADATA_BYTES);
    if (length === 0) return 0;
    const handle = await open(this.imagePath, 'r+');
    try {
      await handle.write(Buffer.alloc(length), 0, length, 0);
    } finally {
      await handle.close();
    }
    return length;
  }

  private imageSize(): Promise<number> {
    return stat(this.imagePath).then(
      (s) => s.size,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return 0;
        throw err;
      },
    );
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
