/**
 * Confinement to the served directory: a requested name becomes a path under
 * the root, or a refusal. Checked twice: on the name (no `..`), and on the
 * file actually opened (its real path stays under the root's real path), so
 * neither a symlink inside the root nor a rename during the request escapes it.
 */
import type { FileHandle } from 'node:fs/promises';
import { ConfinementRefusal, openConfinedFile, type ConfinementReason } from '../confined-file.js';
import { ErrorCode } from './packet.js';

/** `busy`: the server's cap on running transfers; `client-limit`: the client address's own. */
export type RefusalReason =
  | 'traversal'
  | 'not-found'
  | 'not-a-file'
  | 'outside-root'
  | 'unreadable'
  | 'write-refused'
  | 'mode'
  | 'busy'
  | 'client-limit';

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

/** TFTP's answer to each refusal (RFC 1350 error codes). */
const REFUSALS: Record<ConfinementReason, () => TftpRefusal> = {
  'not-found': () => new TftpRefusal('not-found', ErrorCode.FileNotFound, 'File not found'),
  'not-a-file': () => new TftpRefusal('not-a-file', ErrorCode.FileNotFound, 'File not found'),
  'outside-root': () => new TftpRefusal('outside-root', ErrorCode.AccessViolation, 'Access violation'),
  unreadable: () => new TftpRefusal('unreadable', ErrorCode.AccessViolation, 'Access violation'),
};

/** Opens `relative` under `rootReal` (the root's own real path) for reading, or refuses. */
export async function openInRoot(rootReal: string, relative: string): Promise<OpenedFile> {
  try {
    const file = await openConfinedFile(rootReal, relative);
    return { handle: file.handle, size: file.stats.size };
  } catch (error) {
    if (error instanceof ConfinementRefusal) throw REFUSALS[error.reason]();
    throw error;
  }
}
