/**
 * Confinement of file requests to a served directory. The URL's path is
 * refused outright when a segment is `..` or decodes to a separator (never
 * normalised away: a client asking for `..` is not asking for a file), and
 * the file actually opened must have its real path under the directory's
 * real path, so a symlink inside the directory cannot point out of it.
 * Symlinks that stay inside are followed.
 */
import { constants, type Stats } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export type RefusalStatus = 400 | 403 | 404;

export class FileRefused extends Error {
  constructor(
    readonly status: RefusalStatus,
    reason: string,
  ) {
    super(reason);
    this.name = 'FileRefused';
  }
}

export interface OpenedFile {
  handle: FileHandle;
  stats: Stats;
  /** The file's real path: the key checksums are cached under. */
  realPath: string;
}

/** `a/b%20c/d.iso` (the URL path below the route's prefix) → relative path segments, or a refusal. */
export function requestSegments(encoded: string): string[] {
  const segments: string[] = [];
  for (const raw of encoded.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new FileRefused(400, 'malformed percent-encoding');
    }
    if (segment === '' || segment === '.') continue;
    if (segment === '..' || /[/\\\0]/.test(segment)) throw new FileRefused(403, 'path escapes the served directory');
    segments.push(segment);
  }
  if (segments.length === 0) throw new FileRefused(404, 'no file named');
  return segments;
}

/** Opens a regular file under `rootReal` (the directory's own real path) for reading, or refuses. */
export async function openConfined(rootReal: string, segments: string[]): Promise<OpenedFile> {
  let real: string;
  try {
    real = await realpath(path.join(rootReal, ...segments));
  } catch {
    throw new FileRefused(404, 'no such file');
  }
  if (real !== rootReal && !real.startsWith(rootReal.endsWith(path.sep) ? rootReal : rootReal + path.sep)) {
    throw new FileRefused(403, 'a symlink points out of the served directory');
  }
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: `real` has no symlink left, so one there now was swapped in
    // since realpath. O_NONBLOCK: a FIFO in the directory must not hang the open.
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    throw new FileRefused(404, 'cannot open the file');
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new FileRefused(404, 'not a regular file');
  }
  return { handle, stats, realPath: real };
}
