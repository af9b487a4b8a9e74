import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildConfigDrive,
  ConfigDriveInvalid,
  IsoFormatError,
  IsoWriteError,
  readIso9660,
  writeIso9660,
  type IsoFile,
} from '../../../../pxe/configdrive/index.js';
import { requireTool } from '../../../interop/tools.js';

const work = mkdtempSync(join(tmpdir(), 'anvil-iso9660-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sameFiles(image: Buffer, files: IsoFile[]): void {
  const read = readIso9660(image).files;
  expect([...read.keys()].sort()).toEqual(files.map((f) => f.path).sort());
  for (const file of files) expect(read.get(file.path)!.equals(file.data)).toBe(true);
}

/** Names Joliet can hold: printable, none of * / : ; ? \, not . or .. */
const segment = fc
  .string({ unit: fc.constantFrom(...'abcXYZ019_-. é✓'.split('')), minLength: 1, maxLength: 20 })
  .filter((s) => s !== '.' && s !== '..');

describe('ISO9660 + Joliet writer and reader', () => {
  it('keeps lower-case names, nested directories and an empty file', () => {
    const files = [
      { path: 'a/b/c/deep.txt', data: Buffer.from('deep') },
      { path: 'a/empty', data: Buffer.alloc(0) },
      { path: 'Top.JSON', data: Buffer.from('{}') },
      { path: 'a/b/two.bin', data: Buffer.alloc(5000, 7) },
    ];
    sameFiles(writeIso9660(files, { volumeId: 'test' }), files);
  });

  it('spreads a directory with many entries over several sectors', () => {
    const files = Array.from({ length: 300 }, (_, i) => ({
      path: `many/file-with-a-long-name-${i}.json`,
      data: Buffer.from(String(i)),
    }));
    sameFiles(writeIso9660(files, { volumeId: 'many' }), files);
  });

  it('gives names that collide in the primary tree distinct d-character names', () => {
    const files = [
      { path: 'meta-data.json', data: Buffer.from('1') },
      { path: 'meta_data.json', data: Buffer.from('2') },
      { path: 'META_DATA.json', data: Buffer.from('3') },
    ];
    sameFiles(writeIso9660(files, { volumeId: 'c' }), files);
  });

  it.each([
    ['a .. segment', 'a/../b'],
    ['an empty segment', 'a//b'],
    ['a colon', 'a:b'],
    ['a semicolon', 'a;1'],
    ['a control character', 'a\nb'],
    ['a 65-character name', 'x'.repeat(65)],
    ['nine levels', 'a/b/c/d/e/f/g/h/i'],
  ])('refuses %s with IsoWriteError', (_what, path) => {
    expect(() => writeIso9660([{ path, data: Buffer.from('x') }], { volumeId: 'v' })).toThrow(IsoWriteError);
  });

  it('refuses a path given twice or used as both file and directory', () => {
    expect(() =>
      writeIso9660(
        [
          { path: 'a', data: Buffer.alloc(1) },
          { path: 'a', data: Buffer.alloc(1) },
        ],
        { volumeId: 'v' },
      ),
    ).toThrow(IsoWriteError);
    expect(() =>
      writeIso9660(
        [
          { path: 'a', data: Buffer.alloc(1) },
          { path: 'a/b', data: Buffer.alloc(1) },
        ],
        { volumeId: 'v' },
      ),
    ).toThrow(IsoWriteError);
  });

  it('round-trips random file trees (property)', () => {
    const tree = fc.uniqueArray(
      fc.record({ dirs: fc.array(segment, { maxLength: 3 }), name: segment, data: fc.uint8Array({ maxLength: 3000 }) }),
      { maxLength: 12, selector: (f) => [...f.dirs, f.name].join('/').toLowerCase() },
    );
    fc.assert(
      fc.property(tree, (entries) => {
        const files = entries.map((e) => ({ path: [...e.dirs, e.name].join('/'), data: Buffer.from(e.data) }));
        let image: Buffer;
        try {
          image = writeIso9660(files, { volumeId: 'prop' });
        } catch (error) {
          // A file and a directory of the same name is the only refusal these names can meet.
          expect(error).toBeInstanceOf(IsoWriteError);
          return;
        }
        sameFiles(image, files);
      }),
      { numRuns: 150 },
    );
  });

  it('reads any corruption of a valid image as files or IsoFormatError, never a crash (property)', () => {
    const base = writeIso9660(
      [
        { path: 'openstack/latest/meta_data.json', data: Buffer.from('{"a":1}') },
        { path: 'openstack/latest/user_data', data: Buffer.from('u') },
      ],
      { volumeId: 'config-2' },
    );
    const edits = fc.array(
      fc.record({ at: fc.nat({ max: base.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }),
      { minLength: 1, maxLength: 8 },
    );
    // Aim half the edits at the descriptors, directories and path tables, where the structure lives.
    const structural = fc.array(
      fc.record({ at: fc.integer({ min: 16 * 2048, max: 30 * 2048 - 1 }), value: fc.integer({ min: 0, max: 255 }) }),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(fc.oneof(edits, structural), fc.nat({ max: base.length }), (changes, cut) => {
        const image = Buffer.from(base.subarray(0, Math.max(cut, 17 * 2048)));
        for (const { at, value } of changes) if (at < image.length) image[at] = value;
        try {
          readIso9660(image);
        } catch (error) {
          expect(error).toBeInstanceOf(IsoFormatError);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('refuses bytes that are not an image', () => {
    expect(() => readIso9660(Buffer.alloc(100))).toThrow(IsoFormatError);
    expect(() => readIso9660(Buffer.alloc(40 * 2048))).toThrow(IsoFormatError);
  });
});

describe('config drive from random dict input (property)', () => {
  it('either builds a readable config-2 image or refuses with ConfigDriveInvalid', () => {
    const section = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.jsonValue({ maxDepth: 3 }),
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })),
    );
    const input = fc.oneof(
      fc.record(
        { meta_data: section, network_data: section, user_data: fc.oneof(section, fc.string()), vendor_data: section },
        { requiredKeys: [] },
      ),
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })),
      fc.anything(),
    );
    fc.assert(
      fc.property(input, (value) => {
        let image: Buffer;
        try {
          image = buildConfigDrive(value);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigDriveInvalid);
          return;
        }
        const contents = readIso9660(image);
        expect(contents.volumeId).toBe('config-2');
        expect(contents.files.has('openstack/latest/meta_data.json')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe.runIf(requireTool('xorriso'))('against xorriso', () => {
  const xorriso = (...args: string[]) => spawnSync('xorriso', args, { encoding: 'utf8' });

  it('lists and extracts the config drive byte-identical, with label config-2', () => {
    const image = buildConfigDrive({
      meta_data: { hostname: 'h' },
      network_data: { links: [{ id: 'x' }] },
      user_data: '#!/bin/sh\necho hi\n',
      vendor_data: { v: true },
    });
    const path = join(work, 'cd.iso');
    writeFileSync(path, image);
    const listed = xorriso('-indev', path, '-find', '/', '-type', 'f');
    expect(listed.status).toBe(0);
    expect(listed.stderr).toContain("Volume id    : 'config-2'");
    const names = listed.stdout
      .trim()
      .split('\n')
      .map((line) => line.replace(/^'|'$/g, ''));
    const expected = readIso9660(image).files;
    expect(names.sort()).toEqual([...expected.keys()].map((p) => `/${p}`).sort());
    const out = join(work, 'extracted');
    expect(xorriso('-osirrox', 'on', '-indev', path, '-extract', '/', out).status).toBe(0);
    for (const [file, data] of expected) expect(readFileSync(join(out, file)).equals(data)).toBe(true);
  });

  it('reads an image xorriso wrote with Joliet and Rock Ridge', () => {
    const tree = join(work, 'tree');
    const files = {
      'openstack/latest/meta_data.json': '{"uuid":"u"}',
      'openstack/latest/user_data': 'ud',
      'openstack/2012-08-10/meta_data.json': '{}',
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(tree, file)), { recursive: true });
      writeFileSync(join(tree, file), text);
    }
    const path = join(work, 'xorriso.iso');
    expect(
      spawnSync('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'config-2', '-J', '-r', '-o', path, tree]).status,
    ).toBe(0);
    const contents = readIso9660(readFileSync(path));
    expect(contents.volumeId).toBe('config-2');
    expect(Object.fromEntries([...contents.files].map(([p, d]) => [p, d.toString()]))).toEqual(files);
  });
});
