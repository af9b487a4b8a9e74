/**
 * Confinement of file requests to a served directory. The URL's path is
 * refused outright when a segment is `..` or decodes to a separator (never
 * normalised away: a client asking for `..` is not asking for a file), and
 * the file actually opened must have its real path under the directory's
 * real path, so a symlink inside the directory cannot point out of it.
 * Symlinks that stay inside are followed.
 */
import path from 'node:path';
import { ConfinementRefusal, openConfinedFile, type ConfinedFile, type ConfinementReason } from '../confined-file.js';

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

/** An opened file; its real path is the key checksums are cached under. */
export type OpenedFile = ConfinedFile;

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

/** HTTP's answer to each refusal: a symlink out of the directory is forbidden, the rest is simply not there. */
const STATUS: Record<ConfinementReason, RefusalStatus> = {
  'not-found': 404,
  'not-a-file': 404,
  unreadable: 404,
  'outside-root': 403,
};

/** Opens a regular file under `rootReal` (the directory's own real path) for reading, or refuses. */
export async function openConfined(rootReal: string, segments: string[]): Promise<OpenedFile> {
  try {
    return await openConfinedFile(rootReal, path.join(...segments));
  } catch (error) {
    if (error instanceof ConfinementRefusal) throw new FileRefused(STATUS[error.reason], refusalText(error.reason));
    throw error;
  }
}

function refusalText(reason: ConfinementReason): string {
  if (reason === 'outside-root') return 'a symlink points out of the served directory';
  if (reason === 'not-a-file') return 'not a regular file';
  return 'no such file';
}
