/**
 * Blocks of an open file, read in large chunks (one positioned read per
 * chunk, the next chunk read while the current one is sent) and handed out
 * as views of the chunk, so a block is never copied on its way to the
 * socket. Chunks hold whole blocks, since a transfer asks for one size.
 */
import type { FileHandle } from 'node:fs/promises';
import { ReadQueue, type BlockReader } from './source.js';

/** About this much is read at once: 44 blocks of 1468 bytes, 4 of 65464. */
const CHUNK_BYTES = 64 * 1024;

export class FileBlocks implements BlockReader {
  private chunk: Buffer = Buffer.alloc(0);
  private offset = 0;
  private position = 0;
  private ahead: Promise<Buffer> | null = null;
  private ended = false;
  private closed = false;
  private readonly queue = new ReadQueue();

  constructor(private readonly handle: FileHandle) {}

  /** The next `size` bytes; fewer only at the end of the file. Overlapping calls are answered in order. */
  read(size: number): Promise<Buffer> {
    return this.queue.run(() => this.readNow(size));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A read in flight finishes first; the handle closes after it.
    void (this.ahead ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.handle.close())
      .catch(() => undefined);
  }

  private async readNow(size: number): Promise<Buffer> {
    if (this.closed) throw new Error('the file was closed');
    if (this.chunk.length - this.offset < size && !this.ended) {
      const rest = this.chunk.subarray(this.offset);
      const next = await (this.ahead ?? this.readChunk(size));
      this.ahead = null;
      if (next.length < this.chunkSize(size)) this.ended = true;
      // Only when a chunk's end falls inside a block (the size changed): one copy.
      this.chunk = rest.length === 0 ? next : Buffer.concat([rest, next]);
      this.offset = 0;
    }
    const block = this.chunk.subarray(this.offset, this.offset + size);
    this.offset += block.length;
    if (!this.ended && this.ahead === null) {
      this.ahead = this.readChunk(size);
      // Handled when it is awaited; this keeps a failure nobody waits for from being "unhandled".
      this.ahead.catch(() => undefined);
    }
    return block;
  }

  private async readChunk(size: number): Promise<Buffer> {
    if (this.closed) throw new Error('the file was closed');
    const length = this.chunkSize(size);
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    // A short read is not the end of a regular file unless it reads nothing.
    while (filled < length) {
      const { bytesRead } = await this.handle.read(buffer, filled, length - filled, this.position);
      if (bytesRead === 0) break;
      filled += bytesRead;
      this.position += bytesRead;
    }
    return buffer.subarray(0, filled);
  }

  private chunkSize(size: number): number {
    return size * Math.max(1, Math.floor(CHUNK_BYTES / size));
  }
}
