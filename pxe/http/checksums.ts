/**
 * SHA-256 of served images, published as `<path>.sha256` in sha256sum's
 * format (which ironic-python-agent accepts as an `image_checksum` URL).
 * Hashing a multi-GiB image takes seconds, so a digest is computed once per
 * file version (real path, inode, size, mtime), streamed, never buffered, and
 * concurrent requests for the same version share one computation.
 */
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

/** The file changed while it was hashed: the digest matches no version of it. */
export class ChecksumRace extends Error {
  constructor(readonly path: string) {
    super(`${path} changed while its checksum was computed`);
    this.name = 'ChecksumRace';
  }
}

/** Bounds memory for a directory with very many images; the oldest entry goes first. */
const MAX_ENTRIES = 4096;
const READ_CHUNK = 1024 * 1024;

export class ChecksumCache {
  private readonly digests = new Map<string, { version: string; digest: Promise<string> }>();

  /** Hex SHA-256 of the file at `realPath` whose current stats are `stats`. */
  sha256(realPath: string, stats: Stats): Promise<string> {
    const version = versionOf(stats);
    const cached = this.digests.get(realPath);
    if (cached?.version === version) return cached.digest;
    const digest = hashFile(realPath, version);
    this.digests.delete(realPath);
    this.digests.set(realPath, { version, digest });
    if (this.digests.size > MAX_ENTRIES) this.digests.delete(this.digests.keys().next().value!);
    // A failed computation is not cached: the next request tries again.
    digest.catch(() => {
      if (this.digests.get(realPath)?.digest === digest) this.digests.delete(realPath);
    });
    return digest;
  }
}

function versionOf(stats: Stats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

async function hashFile(realPath: string, version: string): Promise<string> {
  const handle = await open(realPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const hash = createHash('sha256');
    await pipeline(handle.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false }), hash);
    if (versionOf(await handle.stat()) !== version) throw new ChecksumRace(realPath);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}
