// Bounded HTTP reads: a simulated host fetches kernels, ramdisks and ISOs
// for real but only reads a slice of each (a Range request, and a cut-off
// if the server ignores Range), so a thousand hosts booting stay cheap.

export interface RangeReadOptions {
  /** First byte; default 0. */
  start?: number;
  /** How many bytes at most. */
  length: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RangeReadResult {
  /** 206 for a served range, 200 when the server sent the whole body (read only up to length). */
  status: number;
  body: Buffer;
  /** The whole resource's size, from Content-Range or Content-Length, when the server said. */
  totalSize: number | null;
}

/** The server answered with an error status, or could not be reached at all. */
export class HttpFetchError extends Error {
  constructor(
    readonly url: string,
    readonly status: number | null,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'HttpFetchError';
  }
}

export async function rangeRead(url: string, options: RangeReadOptions): Promise<RangeReadResult> {
  const start = options.start ?? 0;
  const end = start + options.length - 1;
  const response = await get(url, { Range: `bytes=${start}-${end}` }, options);
  if (response.status !== 206 && response.status !== 200) {
    await response.body?.cancel();
    throw new HttpFetchError(url, response.status, `GET ${url} (bytes ${start}-${end}): HTTP ${response.status}`);
  }
  // A server that ignores Range sends everything from byte 0: skip to start, then read the slice.
  const skip = response.status === 200 ? start : 0;
  const body = await readUpTo(response, skip, options.length, url);
  return { status: response.status, body, totalSize: totalSizeOf(response) };
}

/** A small text body (an iPXE script), refused past maxBytes. */
export async function fetchText(
  url: string,
  options: { maxBytes: number; timeoutMs?: number; signal?: AbortSignal },
): Promise<string> {
  const response = await get(url, {}, options);
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new HttpFetchError(url, response.status, `GET ${url}: HTTP ${response.status}`);
  }
  const body = await readUpTo(response, 0, options.maxBytes + 1, url);
  if (body.length > options.maxBytes)
    throw new HttpFetchError(url, 200, `GET ${url}: body larger than ${options.maxBytes} bytes`);
  return body.toString('utf8');
}

async function get(
  url: string,
  headers: Record<string, string>,
  options: { timeoutMs?: number; signal?: AbortSignal },
): Promise<Response> {
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 10_000)];
  if (options.signal) signals.push(options.signal);
  try {
    return await fetch(url, { headers, signal: AbortSignal.any(signals) });
  } catch (err) {
    throw new HttpFetchError(url, null, `GET ${url}: ${describeFailure(err)}`, { cause: err });
  }
}

/**
 * The reader of a response body. The Fetch standard has a body stream carry
 * Uint8Array chunks; the fetch types leave their type `any`.
 */
export function bodyReader(body: ReadableStream): ReadableStreamDefaultReader<Uint8Array> {
  return (body as ReadableStream<Uint8Array>).getReader();
}

async function readUpTo(response: Response, skip: number, length: number, url: string): Promise<Buffer> {
  if (response.body === null) return Buffer.alloc(0);
  const reader = bodyReader(response.body);
  const chunks: Buffer[] = [];
  let seen = 0;
  let kept = 0;
  try {
    while (kept < length) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      const from = Math.max(0, skip - seen);
      seen += chunk.length;
      if (from >= chunk.length) continue;
      const slice = chunk.subarray(from, from + (length - kept));
      chunks.push(slice);
      kept += slice.length;
    }
  } catch (err) {
    throw new HttpFetchError(url, response.status, `GET ${url}: body cut short: ${describeFailure(err)}`, {
      cause: err,
    });
  } finally {
    // Stop the transfer here: the rest of a kernel is not this host's business.
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks);
}

function totalSizeOf(response: Response): number | null {
  const range = response.headers.get('content-range');
  const total = range?.match(/\/(\d+)$/)?.[1];
  if (total !== undefined) return Number(total);
  const length = response.headers.get('content-length');
  return response.status === 200 && length !== null && /^\d+$/.test(length) ? Number(length) : null;
}

/** fetch() hides the socket error (ECONNREFUSED...) in `cause`; a person wants to read it. */
export function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return 'timed out';
  const cause = err.cause;
  if (cause instanceof Error) return cause.message || (cause as NodeJS.ErrnoException).code || err.message;
  return err.message;
}
