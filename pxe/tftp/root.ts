/**
 * Confinement to the served directory: a requested name becomes a path under
 * the root, or a refusal. Checked twice: on the name (no `..`), and on the
 * file actually opened (its real path stays under the root's real path), so
 * neither a symlink inside the root nor a rename during the request escapes it.
 */
import { constants } from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode } from './packet.js';

export type RefusalReason = 'traversal' | 'not-found' | 'not-a-file' | 'outside-root' | 'unreadable' | 'write-refused' | 'mode' | 'busy';

/** Why a request is refused, and the RFC 1350 error code the client is sent. */
export class TftpRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TftpRefusal';
  }
}

/**
 * The request's name as a relative path inside the root. Absolute names are
 * taken relative to the root (as `tftpd -s` does), `\` counts as a separator
 * (PXE setups written for Windows servers send `pxelinux.cfg\default`), and
 * any `..` segment is refused outright rather than normalised away.
 */
export function mapRequestPath(filename: string): string {
  const segments = filename.split(/[/\\]+/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new TftpRefusal('traversal', ErrorCode.AccessViolation, 'Access violation');
  if (segments.length === 0) throw new TftpRefusal('not-found', ErrorCode.FileNotFound, 'File not found');
  return segments.join('/');
}

export interface OpenedFile {
  handle: FileHandle;
  size: number;
}

/** Opens `relative` under `rootReal` (the root's own real path) for reading, or refuses. */
export async function openInRoot(rootReal: string, relative: string): Promise<OpenedFile> {
  let real: string;
  try {
    real = await realpath(path.join(rootReal, relative));
  } catch (error) {
    throw refusalFor(error);
  }
  if (!isInside(rootReal, real)) throw new TftpRefusal('outside-root', ErrorCode.AccessViolation, 'Access violation');
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: `real` has no symlink left, so one appearing now is a swap
    // under our feet. O_NONBLOCK: a FIFO in the root must not hang the open.
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw refusalFor(error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new TftpRefusal('not-a-file', ErrorCode.FileNotFound, 'File not found');
    // A directory above the file may have been replaced by a symlink between
    // realpath and open; the kernel's name for the open descriptor cannot lie.
    if (process.platform === 'linux' && (await readlink(`/proc/self/fd/${handle.fd}`)) !== real) {
      throw new TftpRefusal('outside-root', ErrorCode.AccessViolation, 'Access violation');
    }
    return { handle, size: stat.size };
  } catch (error) {
    await handle.close();
    throw error instanceof TftpRefusal ? error : refusalFor(error);
  }
}

function isInside(rootReal: string, real: string): boolean {
  const relative = path.relative(rootReal, real);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

function refusalFor(error: unknown): TftpRefusal {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new TftpRefusal('not-found', ErrorCode.FileNotFound, 'File not found');
  if (code === 'ELOOP') return new TftpRefusal('outside-root', ErrorCode.AccessViolation, 'Access violation');
  return new TftpRefusal('unreadable', ErrorCode.AccessViolation, 'Access violation');
}
