/**
 * Cuts a byte stream into TFTP blocks. Pulls from the stream only as the
 * transfer asks for blocks, so a file is never held whole in memory: at most
 * one stream chunk plus one block is buffered here.
 */
import type { Readable } from 'node:stream';

/** What a transfer reads its blocks from. */
export interface BlockReader {
  /** The next `size` bytes; fewer only at the end (possibly none). Overlapping calls are answered in order. */
  read(size: number): Promise<Buffer>;
  /** Stops reading and releases what is behind it. */
  close(): void;
}

/** Runs overlapping reads one after another, in call order; each caller sees its own rejection. */
export class ReadQueue {
  private tail: Promise<void> = Promise.resolve();

  run(read: () => Promise<Buffer>): Promise<Buffer> {
    const result = this.tail.then(read);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export class BlockSource implements BlockReader {
  private readonly chunks: AsyncIterator<unknown>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;
  private readonly queue = new ReadQueue();

  constructor(private readonly stream: Readable) {
    this.chunks = stream[Symbol.asyncIterator]();
  }

  /**
   * The next `size` bytes; fewer only at the end of the stream (possibly
   * none). Calls may overlap (a transfer reads ahead while it waits for an
   * ACK); they are answered in call order.
   */
  read(size: number): Promise<Buffer> {
    return this.queue.run(() => this.readNow(size));
  }

  private async readNow(size: number): Promise<Buffer> {
    while (this.pendingBytes < size && !this.ended) {
      const next = await this.chunks.next();
      if (next.done === true) {
        this.ended = true;
        break;
      }
      const chunk = toBuffer(next.value);
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    return this.take(Math.min(size, this.pendingBytes));
  }

  /** Stops reading; the stream (and a file behind it) is released. */
  close(): void {
    this.stream.destroy();
  }

  private take(size: number): Buffer {
    const first = this.pending[0];
    if (first !== undefined && first.length >= size) {
      // The common case: the block lies inside one chunk, so no copy.
      const block = first.subarray(0, size);
      if (first.length === size) this.pending.shift();
      else this.pending[0] = first.subarray(size);
      this.pendingBytes -= size;
      return block;
    }
    const block = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const chunk = this.pending[0] as Buffer;
      const used = Math.min(chunk.length, size - filled);
      chunk.copy(block, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(used);
    }
    this.pendingBytes -= size;
    return block;
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('a TFTP source stream must yield bytes or strings');
}
