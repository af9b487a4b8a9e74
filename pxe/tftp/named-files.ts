/**
 * Files served under fixed names from paths the operator configured, such as
 * the iPXE binaries of Debian's `ipxe` package. Those cannot be served by
 * making their directory the root: `/usr/lib/ipxe/ipxe.efi` is a symlink to
 * `/boot/ipxe.efi`, outside it, which the root's confinement rightly refuses.
 * Here each name maps to one configured path, so following its symlinks
 * exposes nothing else.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ErrorCode } from './packet.js';
import { mapRequestPath, TftpRefusal } from './root.js';
import type { VirtualFileResolver } from './server.js';

/** A resolver serving `files` (request name → absolute path), or null for any other name. */
export function namedFiles(files: Readonly<Record<string, string>>): VirtualFileResolver {
  // Keys go through the same mapping as requests, so `/ipxe.efi` and `ipxe.efi` both match.
  const byName = new Map(Object.entries(files).map(([name, file]) => [mapRequestPath(name), file]));
  return async (name) => {
    const file = byName.get(name);
    if (file === undefined) return null;
    // O_NONBLOCK: a FIFO configured by mistake must not hang the open.
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
      // The package that provides the file is not installed: the client hears the truth.
      if (error.code === 'ENOENT') throw new TftpRefusal('not-found', ErrorCode.FileNotFound, 'File not found');
      throw error;
    });
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new Error(`configured TFTP file ${file} is not a regular file`);
      return { handle, size: stat.size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  };
}
