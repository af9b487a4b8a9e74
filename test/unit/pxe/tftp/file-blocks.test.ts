import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlocks } from '../../../../pxe/tftp/file-blocks.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'anvil-file-blocks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function blocksOf(content: Buffer, size: number, name: string): Promise<Buffer[]> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  const blocks = new FileBlocks(await open(file));
  const out: Buffer[] = [];
  try {
    // As a transfer reads: a block at a time until one is short (possibly empty), which ends the file.
    for (;;) {
      const block = await blocks.read(size);
      out.push(Buffer.from(block));
      if (block.length < size) return out;
    }
  } finally {
    blocks.close();
  }
}

describe('FileBlocks', () => {
  it('cuts any file into the blocks TFTP sends: full ones, then one short (empty when the size divides the file)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        // Sizes around the 64 KiB chunk, so blocks meet chunk ends in every way.
        fc.integer({ min: 0, max: 150_000 }),
        fc.constantFrom(13, 512, 1468, 8192, 65464, 65536, 70_000),
        async (length, size) => {
          const content = randomBytes(length);
          const blocks = await blocksOf(content, size, `f${n++}`);
          expect(Buffer.concat(blocks).equals(content)).toBe(true);
          expect(blocks.length).toBe(Math.floor(length / size) + 1);
          for (const block of blocks.slice(0, -1)) expect(block.length).toBe(size);
          expect(blocks.at(-1)?.length).toBe(length % size);
        },
      ),
      { numRuns: 60 },
    );
  }, 30_000);

  it('answers overlapping reads in the order they were asked', async () => {
    const content = randomBytes(300_000);
    const file = path.join(dir, 'overlap');
    await writeFile(file, content);
    const blocks = new FileBlocks(await open(file));
    const reads = Array.from({ length: 50 }, () => blocks.read(6000));
    const got = Buffer.concat(await Promise.all(reads));
    blocks.close();
    expect(got.equals(content)).toBe(true);
  });

  it('closes its file when closed, also with a read ahead in flight', async () => {
    const file = path.join(dir, 'closing');
    await writeFile(file, randomBytes(500_000));
    const handle = await open(file);
    const blocks = new FileBlocks(handle);
    await blocks.read(1468);
    blocks.close();
    await expect.poll(() => handle.fd, { timeout: 2000 }).toBe(-1);
    await expect(blocks.read(1468)).rejects.toThrow();
  });
});
