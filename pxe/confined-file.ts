/**
 * Opening a file inside a served directory, for every boot protocol: the
 * file's real path must lie under the directory's real path (a symlink
 * inside may not point out), and the descriptor actually opened must be that
 * file, so a directory swapped for a symlink between the check and the open
 * cannot leak another file.
 */
import { constants, type Stats } from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export type ConfinementReason = 'not-found' | 'not-a-file' | 'outside-root' | 'unreadable';

/** Why a file was not opened; each protocol answers it in its own words (HTTP status, TFTP error code). */
export class ConfinementRefusal extends Error {
  override readonly name = 'ConfinementRefusal';
  constructor(readonly reason: ConfinementReason) {
    super(`file refused: ${reason}`);
  }
}

export interface ConfinedFile {
  handle: FileHandle;
  stats: Stats;
  /** The file's real path. */
  realPath: string;
}

/** Opens `relative` (already free of `..`) under `rootReal` (the directory's own real path) for reading. */
export async function openConfinedFile(rootReal: string, relative: string): Promise<ConfinedFile> {
  let real: string;
  try {
    real = await realpath(path.join(rootReal, relative));
  } catch (error) {
    throw refusalFor(error);
  }
  if (!isInside(rootReal, real)) throw new ConfinementRefusal('outside-root');
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: `real` has no symlink left, so one appearing now is a swap
    // under our feet. O_NONBLOCK: a FIFO in the directory must not hang the open.
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw refusalFor(error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new ConfinementRefusal('not-a-file');
    // A directory above the file may have been replaced by a symlink between
    // realpath and open; the kernel's name for the open descriptor cannot lie.
    if (process.platform === 'linux' && (await readlink(`/proc/self/fd/${handle.fd}`)) !== real) {
      throw new ConfinementRefusal('outside-root');
    }
    return { handle, stats, realPath: real };
  } catch (error) {
    await handle.close();
    throw error instanceof ConfinementRefusal ? error : refusalFor(error);
  }
}

function isInside(rootReal: string, real: string): boolean {
  const relative = path.relative(rootReal, real);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

function refusalFor(error: unknown): ConfinementRefusal {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new ConfinementRefusal('not-found');
  if (code === 'ELOOP') return new ConfinementRefusal('outside-root');
  return new ConfinementRefusal('unreadable');
}
