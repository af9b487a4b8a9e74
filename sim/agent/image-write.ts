// IPA's write_image as a simulated host does it: download the image over
// HTTP from the first URL that answers, hash it on the way with the
// algorithm image_info names, write it to the disk file, and refuse it if
// the checksum does not match. The bytes are written as they come (no
// qcow2 conversion), so the disk file's checksum is the image's.
import { createHash } from 'node:crypto';
import { bodyReader, describeFailure } from './http-fetch.js';
import { expectedChecksum, type ExpectedChecksum, type ImageChecksumFields } from './checksum.js';
import { AgentCommandError } from './command-error.js';
import type { HostDisk } from './disk.js';

export interface ImageInfo extends ImageChecksumFields {
  disk_format?: unknown;
  node_uuid?: unknown;
  configdrive?: unknown;
}

export interface WrittenImage {
  url: string;
  bytes: number;
  sha256: string;
  checksum: ExpectedChecksum;
}

export interface ImageWriteOptions {
  /** No byte for this long ends the download. */
  stallTimeoutMs: number;
  signal: AbortSignal;
  /** Called between chunks; throwing stops the write (the agent crashed, the host lost power). */
  checkAlive: () => void;
}

/** Writes the image to `device` (a block device's name) of the host's disks. */
export async function writeImage(
  disk: HostDisk,
  device: string,
  info: ImageInfo,
  options: ImageWriteOptions,
): Promise<WrittenImage> {
  const checksum = expectedChecksum(info);
  const urls = (info.urls as unknown[]).filter((u): u is string => typeof u === 'string');
  const id = String(info.id);
  const failures: string[] = [];
  for (const url of urls) {
    const outcome = await writeFrom(url, disk, device, id, checksum, options);
    if ('written' in outcome) return outcome.written;
    failures.push(outcome.failure);
  }
  throw new AgentCommandError('ImageDownloadError', `Download of image ${id} failed: ${failures.join('; ')}`);
}

async function writeFrom(
  url: string,
  disk: HostDisk,
  device: string,
  id: string,
  checksum: ExpectedChecksum,
  options: ImageWriteOptions,
): Promise<{ written: WrittenImage } | { failure: string }> {
  const stall = new AbortController();
  let stallTimer = setTimeout(() => stall.abort(), options.stallTimeoutMs);
  const signal = AbortSignal.any([options.signal, stall.signal]);
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (err) {
    clearTimeout(stallTimer);
    if (options.signal.aborted) throw options.signal.reason;
    return {
      failure: `${url}: ${stall.signal.aborted ? `no answer within ${options.stallTimeoutMs} ms` : describeFailure(err)}`,
    };
  }
  if (response.status !== 200 || response.body === null) {
    clearTimeout(stallTimer);
    await response.body?.cancel();
    return { failure: `${url}: HTTP ${response.status}` };
  }
  const write = await disk.beginWrite(device);
  const hash = createHash(checksum.algo);
  const reader = bodyReader(response.body);
  try {
    for (;;) {
      options.checkAlive();
      const { done, value } = await reader.read();
      if (done) break;
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => stall.abort(), options.stallTimeoutMs);
      const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      hash.update(chunk);
      await write.append(chunk);
    }
  } catch (err) {
    clearTimeout(stallTimer);
    await write.abandon();
    await reader.cancel().catch(() => undefined);
    if (options.signal.aborted) throw options.signal.reason;
    if (err instanceof AgentCommandError) throw err;
    return {
      failure: `${url}: download cut short after ${write.bytes} bytes: ${stall.signal.aborted ? 'stalled' : describeFailure(err)}`,
    };
  }
  clearTimeout(stallTimer);
  const actual = hash.digest('hex');
  if (actual !== checksum.value) {
    await write.abandon();
    // IPA streams a raw image straight to the disk, so the location it names is the device.
    throw new AgentCommandError(
      'ImageChecksumError',
      `Image failed to verify against checksum. location: ${device}; image ID: ${id}; image checksum: ${checksum.value}; verification checksum: ${actual}`,
    );
  }
  const bytes = write.bytes;
  const sha256 = await write.commit();
  return { written: { url, bytes, sha256, checksum } };
}
