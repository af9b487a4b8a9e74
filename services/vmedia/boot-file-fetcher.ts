import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { resolveBootFile } from '../boot/index.js';
import { AgentIsoError } from './errors.js';

export interface BootFileFetcherOptions {
  /** The boot HTTP server's `/boot-files/` directory, where a path names a file. */
  bootFilesDir: string;
  /** Where downloaded kernels and ramdisks are kept between builds. */
  cacheDir: string;
  /** Bound on one download, from request to last byte. */
  timeoutMs: number;
  /** A file larger than this is refused rather than filling the disk. */
  maxBytes: number;
}

/** What a cached download was, so the next fetch can ask the server whether it changed. */
interface CacheRecord {
  url: string;
  etag: string | null;
  lastModified: string | null;
}

/**
 * Makes an agent kernel or ramdisk a local file the ISO build can read: a
 * path under the boot files directory as it is, an http(s) URL downloaded
 * into a cache and kept, asked again with If-None-Match/If-Modified-Since so
 * an unchanged ramdisk (hundreds of MiB) is not fetched for every boot.
 */
export class BootFileFetcher {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(private readonly options: BootFileFetcherOptions) {}

  async localPath(href: string): Promise<string> {
    return /^https?:\/\//.test(href) ? this.download(href) : this.underBootFiles(href);
  }

  private async underBootFiles(href: string): Promise<string> {
    const resolved = await resolveBootFile(this.options.bootFilesDir, href);
    if ('problem' in resolved) throw new AgentIsoError(resolved.problem);
    return resolved.path;
  }

  /** One download per URL at a time: nodes booting together share it rather than each fetching the ramdisk. */
  private download(url: string): Promise<string> {
    const running = this.inFlight.get(url);
    if (running !== undefined) return running;
    const download = this.fetchToCache(url).finally(() => this.inFlight.delete(url));
    this.inFlight.set(url, download);
    return download;
  }

  private async fetchToCache(url: string): Promise<string> {
    const key = createHash('sha256').update(url).digest('hex');
    const file = path.join(this.options.cacheDir, key);
    const recordFile = `${file}.json`;
    await mkdir(this.options.cacheDir, { recursive: true });
    const cached = await readRecord(recordFile, file);
    const headers: Record<string, string> = {};
    if (cached?.etag) headers['if-none-match'] = cached.etag;
    if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(this.options.timeoutMs), redirect: 'follow' });
    } catch (err) {
      throw new AgentIsoError(`could not download ${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (res.status === 304 && cached !== null) {
      await res.body?.cancel();
      return file;
    }
    if (!res.ok || res.body === null) {
      await res.body?.cancel();
      throw new AgentIsoError(`could not download ${url}: HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > this.options.maxBytes) {
      await res.body.cancel();
      throw new AgentIsoError(`${url} is ${declared} bytes, more than the ${this.options.maxBytes} allowed`);
    }
    // Another build may read the cached file meanwhile: write beside it, then rename over it.
    const partial = `${file}.${randomBytes(6).toString('hex')}.part`;
    try {
      await pipeline(
        Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
        sizeLimit(this.options.maxBytes, url),
        createWriteStream(partial),
      );
      await rename(partial, file);
    } catch (err) {
      await rm(partial, { force: true });
      if (err instanceof AgentIsoError) throw err;
      throw new AgentIsoError(`could not download ${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const record: CacheRecord = {
      url,
      etag: res.headers.get('etag'),
      lastModified: res.headers.get('last-modified'),
    };
    // Written whole and renamed, so a reader never takes half a record (and a stale file) for the new one.
    const recordPartial = `${recordFile}.${randomBytes(6).toString('hex')}.part`;
    await writeFile(recordPartial, JSON.stringify(record));
    await rename(recordPartial, recordFile);
    return file;
  }
}

/** The cache record, when it and its file are both there. */
async function readRecord(recordFile: string, file: string): Promise<CacheRecord | null> {
  try {
    const record = JSON.parse(await readFile(recordFile, 'utf8')) as CacheRecord;
    await stat(file);
    return record;
  } catch {
    return null;
  }
}

function sizeLimit(maxBytes: number, url: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(new AgentIsoError(`${url} is more than the ${maxBytes} bytes allowed`));
      else done(null, chunk);
    },
  });
}
