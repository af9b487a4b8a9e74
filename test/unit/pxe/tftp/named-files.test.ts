import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedFiles, startTftpServer, type TftpServer } from '../../../../pxe/tftp/index.js';
import { tftpGet } from './client.js';

describe('named files (configured boot binaries)', () => {
  let base: string;
  let server: TftpServer;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'anvil-tftp-named-'));
    await mkdir(path.join(base, 'root'));
    await mkdir(path.join(base, 'lib'));
    await mkdir(path.join(base, 'boot'));
    // The layout of Debian's ipxe package: /usr/lib/ipxe/ipxe.efi -> /boot/ipxe.efi.
    await writeFile(path.join(base, 'boot', 'ipxe.efi'), 'EFI binary');
    await symlink(path.join(base, 'boot', 'ipxe.efi'), path.join(base, 'lib', 'ipxe.efi'));
    await writeFile(path.join(base, 'boot', 'other'), 'not configured');
    server = await startTftpServer({
      root: path.join(base, 'root'),
      host: '127.0.0.1',
      port: 0,
      resolve: namedFiles({
        '/ipxe.efi': path.join(base, 'lib', 'ipxe.efi'),
        'snponly.efi': path.join(base, 'lib', 'missing.efi'),
      }),
    });
  });
  afterAll(async () => {
    await server.close();
    await rm(base, { recursive: true, force: true });
  });

  it('serves a configured file through its symlink, with tsize', async () => {
    const result = await tftpGet({ port: server.port, file: 'ipxe.efi', options: { tsize: 0 } });
    expect(result.data.toString()).toBe('EFI binary');
    expect(result.oack).toEqual({ tsize: '10' });
  });

  it('answers a configured file that is not installed with File not found', async () => {
    expect((await tftpGet({ port: server.port, file: 'snponly.efi' })).error).toEqual({
      code: 1,
      message: 'File not found',
    });
  });

  it('serves nothing else near the configured files', async () => {
    for (const file of ['other', 'boot/other', 'lib/ipxe.efi', '../boot/other']) {
      expect((await tftpGet({ port: server.port, file })).error?.code).toBeOneOf([1, 2]);
    }
  });
});
