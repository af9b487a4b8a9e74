import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapRequestPath, openInRoot, TftpRefusal } from '../../../../pxe/tftp/root.js';

describe('request names inside the root', () => {
  it.each([
    ['undionly.kpxe', 'undionly.kpxe'],
    ['/undionly.kpxe', 'undionly.kpxe'],
    ['/etc/passwd', 'etc/passwd'],
    ['./a//b/./c.efi', 'a/b/c.efi'],
    ['pxelinux.cfg\\default', 'pxelinux.cfg/default'],
    ['..foo', '..foo'],
  ])('maps %j to %j', (name, relative) => {
    expect(mapRequestPath(name)).toBe(relative);
  });

  it.each(['../../etc/passwd', '..', 'a/../../b', 'a/../b', '..\\..\\windows', '/../etc/shadow'])(
    'refuses %j as traversal',
    (name) => {
      expect(() => mapRequestPath(name)).toThrow(expect.objectContaining({ reason: 'traversal', code: 2 }));
    },
  );

  it.each(['', '/', './.'])('answers %j as not found', (name) => {
    expect(() => mapRequestPath(name)).toThrow(expect.objectContaining({ reason: 'not-found', code: 1 }));
  });
});

describe('opening files inside the root', () => {
  let base: string;
  let root: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'anvil-tftp-root-'));
    root = path.join(base, 'root');
    await mkdir(path.join(root, 'sub'), { recursive: true });
    await writeFile(path.join(base, 'secret'), 'outside');
    await writeFile(path.join(root, 'sub', 'inside.bin'), 'inside');
    await symlink(path.join(base, 'secret'), path.join(root, 'escape'));
    await symlink('../secret', path.join(root, 'relative-escape'));
    await symlink(base, path.join(root, 'updir'));
    await symlink('sub/inside.bin', path.join(root, 'alias'));
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function refusal(relative: string): Promise<TftpRefusal> {
    const error = await openInRoot(root, relative).then(
      async (opened) => {
        await opened.handle.close();
        return null;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TftpRefusal);
    return error as TftpRefusal;
  }

  it('opens a file and a symlink that stays inside', async () => {
    for (const name of ['sub/inside.bin', 'alias']) {
      const opened = await openInRoot(root, name);
      expect(opened.size).toBe(6);
      expect((await opened.handle.readFile()).toString()).toBe('inside');
      await opened.handle.close();
    }
  });

  it.each(['escape', 'relative-escape', 'updir/secret'])(
    'refuses the symlink %s pointing outside the root',
    async (name) => {
      expect(await refusal(name)).toMatchObject({ reason: 'outside-root', code: 2 });
    },
  );

  it('answers a missing file, a path through a file, a directory and a FIFO as not found', async () => {
    expect(await refusal('nothing')).toMatchObject({ reason: 'not-found', code: 1 });
    expect(await refusal('sub/inside.bin/x')).toMatchObject({ reason: 'not-found', code: 1 });
    expect(await refusal('sub')).toMatchObject({ reason: 'not-a-file', code: 1 });
    expect(await refusal('fifo')).toMatchObject({ reason: 'not-a-file', code: 1 });
  });
});
