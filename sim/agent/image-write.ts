// IPA's write_image as a simulated host does it: download the image over
// HTTP from the first URL that answers, hash it on the way with the
// algorithm image_info names, write it to the disk file, and refuse it if
// the checksum does not match. The bytes are written as they come (no
// qcow2 conversion), so the disk file's checksum is the image's.
import { createHash } from 'node:crypto';
import { bodyReader, describeFailure } from './http-fetch.js';
import { expectedChecksum, type ExpectedChecksum } from './checksum.js';
import { AgentCommandError } from './command-error.js';
import type { HostDisk } from './disk.js';

export interface ImageInfo {
  id?: unknown;
  urls?: unknown;
  disk_format?: unknown;
  checksum?: unknown;
  os_hash_algo?: unknown;
  os_hash_value?: unknown;
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

export async function writeImage(disk: HostDisk, info: ImageInfo, options: ImageWriteOptions): Promise<WrittenImage> {
  let checksum: ExpectedChecksum;
  try {
    checksum = expectedChecksum(info);
  } catch (err) {
    throw new AgentCommandError(
      'InvalidCommandParamsError',
      `Invalid image_info: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const urls = Array.isArray(info.urls) ? info.urls.filter((u): u is string => typeof u === 'string') : [];
  if (urls.length === 0) throw new AgentCommandError('InvalidCommandParamsError', 'Invalid image_info: no image URLs');
  const id = typeof info.id === 'string' ? info.id : urls[0];
  const failures: string[] = [];
  for (const url of urls) {
    const outcome = await writeFrom(url, disk, checksum, options);
    if ('written' in outcome) return outcome.written;
    failures.push(outcome.failure);
  }
  throw new AgentCommandError('ImageDownloadError', `Download of image ${id} failed: ${failures.join('; ')}`);
}

async function writeFrom(
  url: string,
  disk: HostDisk,
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
  const write = await disk.beginWrite();
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
    throw new AgentCommandError(
      'ImageChecksumError',
      `The ${checksum.algo} checksum calculated for the downloaded image (${actual}) does not match the expected checksum (${checksum.value}) for image ${url}`,
    );
  }
  const bytes = write.bytes;
  const sha256 = await write.commit();
  return { written: { url, bytes, sha256, checksum } };
}
