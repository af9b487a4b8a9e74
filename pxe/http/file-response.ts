/**
 * Answers GET and HEAD for one opened file: validators (ETag from inode,
 * size and mtime, as nginx does; Last-Modified), conditional requests,
 * a single Range, and the body streamed from the open handle with
 * back-pressure, so memory per download stays at one read buffer however
 * large the image and however slow the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { OpenedFile } from './confine.js';
import { decideRange } from './range.js';

/** Four times the 64 KiB default: a quarter of the reads and writes per GiB of image; 20 clients still hold only ~5 MiB. */
const READ_CHUNK = 256 * 1024;

/** What was sent, for the observer. */
export interface Sent {
  status: number;
  bytes: number;
  /** The first byte sent: 0 for a whole file or a range from its start. */
  start: number;
}

export function etagOf(file: OpenedFile): string {
  const { ino, size, mtimeMs } = file.stats;
  return `"${ino.toString(16)}-${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/** Writes the response and resolves once the body is sent or the client went away; closes the file. */
export async function sendFile(req: IncomingMessage, res: ServerResponse, file: OpenedFile, sent: Sent): Promise<void> {
  const size = file.stats.size;
  const etag = etagOf(file);
  const lastModified = new Date(file.stats.mtimeMs).toUTCString();
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', lastModified);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', 'application/octet-stream');
  try {
    if (notModified(req, etag, file.stats.mtimeMs)) {
      sent.status = 304;
      res.writeHead(304).end();
      return;
    }
    // Range applies to GET only; If-Range with a stale validator means "send it all".
    const ifRange = req.headers['if-range'];
    const ranged =
      req.method === 'GET' && ifRangeHolds(Array.isArray(ifRange) ? ifRange[0] : ifRange, etag, lastModified);
    const range = decideRange(ranged ? req.headers.range : undefined, size);
    if (range.kind === 'unsatisfiable') {
      sent.status = 416;
      res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': 0 }).end();
      return;
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
    sent.start = start;
    sent.status = range.kind === 'partial' ? 206 : 200;
    res.setHeader('Content-Length', end - start + 1);
    if (range.kind === 'partial') res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    res.writeHead(sent.status);
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    const body = file.handle.createReadStream({ start, end, highWaterMark: READ_CHUNK, autoClose: false });
    body.on('data', (chunk: string | Buffer) => {
      sent.bytes += chunk.length;
    });
    // A client that disconnects rejects the pipeline; that is its choice, not a server error.
    await pipeline(body, res).catch(() => undefined);
  } finally {
    await file.handle.close();
  }
}

function notModified(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    // Weak comparison (RFC 9110 §13.1.2): W/ prefixes do not matter here.
    return ifNoneMatch.split(',').some((tag) => {
      const t = tag.trim();
      return t === '*' || t.replace(/^W\//, '') === etag;
    });
  }
  const since = req.headers['if-modified-since'];
  if (since === undefined) return false;
  const date = Date.parse(since);
  return !Number.isNaN(date) && Math.floor(mtimeMs / 1000) * 1000 <= date;
}

function ifRangeHolds(ifRange: string | undefined, etag: string, lastModified: string): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  return value === etag || value === lastModified;
}
