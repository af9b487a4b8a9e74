/**
 * The string form Ironic accepts in `configdrive` and stores in
 * `instance_info.configdrive`: the image gzipped, then base64 (what
 * openstacksdk's `configdrive.pack` returns and ironic-python-agent unpacks
 * before writing the partition).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConfigDriveDecodeError } from './errors.js';
import { MAX_CONFIG_DRIVE_BYTES } from './configdrive.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

export function encodeConfigDrive(image: Buffer): string {
  return gzipSync(image).toString('base64');
}

/** The image inside a gzip+base64 string; the output is capped so a small string cannot inflate without bound. */
export function decodeConfigDrive(text: string): Buffer {
  // Tools such as `base64` wrap lines; the alphabet is checked after unwrapping.
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0) throw new ConfigDriveDecodeError('is empty');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw new ConfigDriveDecodeError('is not base64');
  const gzipped = Buffer.from(compact, 'base64');
  if (!gzipped.subarray(0, 2).equals(GZIP_MAGIC)) throw new ConfigDriveDecodeError('is not gzip data');
  try {
    return gunzipSync(gzipped, { maxOutputLength: MAX_CONFIG_DRIVE_BYTES });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new ConfigDriveDecodeError(`inflates past ${MAX_CONFIG_DRIVE_BYTES} bytes`);
    throw new ConfigDriveDecodeError(`gzip data is corrupt (${code ?? 'unknown error'})`);
  }
}
