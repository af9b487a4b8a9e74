import { IpmiProtocolError } from './errors.js';

/**
 * Bounds-checked reading of a received packet. Every decoder reads through
 * this, so a truncated packet becomes an IpmiProtocolError, never a
 * RangeError from Buffer.
 */
export class ByteReader {
  private offset = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  u8(): number {
    return this.take(1).readUInt8(0);
  }

  u16le(): number {
    return this.take(2).readUInt16LE(0);
  }

  u32le(): number {
    return this.take(4).readUInt32LE(0);
  }

  u32be(): number {
    return this.take(4).readUInt32BE(0);
  }

  bytes(length: number): Buffer {
    return Buffer.from(this.take(length));
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  private take(length: number): Buffer {
    if (length < 0 || this.offset + length > this.buf.length) {
      throw new IpmiProtocolError(
        `${this.what}: truncated, needed ${length} byte(s) at offset ${this.offset} of ${this.buf.length}`,
      );
    }
    const slice = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}
