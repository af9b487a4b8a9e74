import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** A boot file's real path under the boot files directory, or why it is not one, worded as Ironic's image href validation. */
export type BootFilePath = { path: string } | { problem: string };

/**
 * Resolves a boot file given as a path as the boot HTTP server resolves it
 * (percent-escapes decoded, empty and `.` segments dropped, `..` refused)
 * under its boot files directory, where it must be a regular file; symlinks
 * are followed as the server follows them, and must stay inside.
 */
export async function resolveBootFile(dir: string, href: string): Promise<BootFilePath> {
  const refused = (why: string) => ({ problem: `Validation of image href ${href} failed, reason: ${why}.` });
  let segments: string[];
  try {
    segments = href.split('/').map(decodeURIComponent);
  } catch {
    return refused('Malformed percent-encoding in the path');
  }
  segments = segments.filter((s) => s !== '' && s !== '.');
  if (segments.length === 0 || segments.some((s) => s === '..' || /[\\\0]/.test(s)))
    return refused(`The path does not name a file under the boot files directory ${dir}`);
  try {
    const root = await realpath(dir);
    const real = await realpath(path.join(root, ...segments));
    if (path.relative(root, real).startsWith('..'))
      return refused(`Specified image file leads out of the boot files directory ${dir}`);
    if (!(await stat(real)).isFile())
      return refused(`Specified image file is not a regular file in the boot files directory ${dir}`);
    return { path: real };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return refused(`Specified image file not found in the boot files directory ${dir}`);
    return refused(`Specified image file cannot be read in the boot files directory ${dir} (${code ?? String(err)})`);
  }
}
