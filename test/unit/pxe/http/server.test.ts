import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BootHost } from '../../../../pxe/backend.js';
import { startBootHttpServer, type BootHttpServer, type HttpRequestEvent } from '../../../../pxe/http/index.js';
import { request } from './client.js';
import { FakeBackend } from './fake-backend.js';

const work = mkdtempSync(join(tmpdir(), 'anvil-http-'));
const images = join(work, 'images');
const bootFiles = join(work, 'boot-files');
const kernel = randomBytes(100_000);

const agentHost: BootHost = {
  mac: '52:54:00:00:00:01',
  nodeUuid: '11111111-1111-4111-8111-111111111111',
  hostname: 'deploying',
  lease: { address: '127.0.0.1', prefix: 8, gateway: null, dnsServers: [] },
  boot: {
    kind: 'agent',
    kernelUrl: 'http://127.0.0.1:8080/boot-files/ipa.kernel',
    ramdiskUrl: 'http://127.0.0.1:8080/boot-files/ipa.initramfs',
    kernelParams: ['ipa-api-url=http://127.0.0.1:6385'],
  },
};
const activeHost: BootHost = {
  ...agentHost,
  mac: '52:54:00:00:00:02',
  nodeUuid: '22222222-2222-4222-8222-222222222222',
  lease: null,
  boot: { kind: 'local-disk' },
};
const brokenHost: BootHost = {
  ...agentHost,
  mac: '52:54:00:00:00:03',
  lease: null,
  boot: { ...agentHost.boot, kernelParams: ['has space'] } as BootHost['boot'],
};
/** deploy_kernel/deploy_ramdisk given as paths: this server's own boot files. */
const pathHost: BootHost = {
  ...agentHost,
  mac: '52:54:00:00:00:04',
  lease: null,
  boot: { ...agentHost.boot, kernelUrl: 'ipa.kernel', ramdiskUrl: '/ipa.initramfs' } as BootHost['boot'],
};

let backend: FakeBackend;
let server: BootHttpServer;
const events: HttpRequestEvent[] = [];
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(join(images, 'sub'), { recursive: true });
  mkdirSync(bootFiles);
  writeFileSync(join(bootFiles, 'ipa.kernel'), kernel);
  writeFileSync(join(images, 'disk.img'), randomBytes(3000));
  writeFileSync(join(images, 'empty.img'), Buffer.alloc(0));
  writeFileSync(join(images, 'sub', 'nested name.qcow2'), 'nested');
  writeFileSync(join(images, 'published.img'), 'p');
  writeFileSync(join(images, 'published.img.sha256'), 'operator-provided  published.img\n');
  writeFileSync(join(work, 'secret.txt'), 'secret');
  symlinkSync(join(work, 'secret.txt'), join(images, 'escape.img'));
  symlinkSync(work, join(images, 'escape-dir'));
  symlinkSync(join(images, 'disk.img'), join(images, 'alias.img'));
  backend = new FakeBackend([agentHost, activeHost, brokenHost, pathHost]);
  server = await startBootHttpServer({
    host: '127.0.0.1',
    port: 0,
    backend,
    imageDirs: { images, bootFiles },
    observer: { onRequest: (e) => events.push(e), onError: (_e, context) => errors.push(context) },
  });
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  backend.served.length = 0;
  backend.failLookups = false;
});

describe('GET /boot/<mac>.ipxe', () => {
  it("serves a deploying host the agent script and records it in the node's history", async () => {
    const reply = await request(server.url, '/boot/52:54:00:00:00:01.ipxe');
    expect(reply.status).toBe(200);
    expect(reply.headers['cache-control']).toBe('no-store');
    const text = reply.body.toString();
    expect(text.startsWith('#!ipxe\n')).toBe(true);
    expect(text).toContain(
      'kernel --name kernel http://127.0.0.1:8080/boot-files/ipa.kernel ipa-api-url=http://127.0.0.1:6385 BOOTIF=01-52-54-00-00-00-01 initrd=ramdisk',
    );
    expect(backend.served).toEqual([
      { mac: '52:54:00:00:00:01', what: { protocol: 'http', detail: '/boot/52:54:00:00:00:01.ipxe' } },
    ]);
  });

  it('resolves kernel and ramdisk paths under its own /boot-files/, at its public URL when it has one', async () => {
    const local = (await request(server.url, '/boot/52:54:00:00:00:04.ipxe')).body.toString();
    expect(local).toContain(`kernel --name kernel ${server.url}/boot-files/ipa.kernel `);
    expect(local).toContain(`initrd --name ramdisk ${server.url}/boot-files/ipa.initramfs `);

    const published = await startBootHttpServer({
      host: '127.0.0.1',
      port: 0,
      publicUrl: 'http://boot.example:8080/',
      backend,
      imageDirs: { bootFiles },
    });
    try {
      expect(published.url).toBe('http://boot.example:8080');
      const text = (
        await request(`http://127.0.0.1:${published.port}`, '/boot/52:54:00:00:00:04.ipxe')
      ).body.toString();
      expect(text).toContain('kernel --name kernel http://boot.example:8080/boot-files/ipa.kernel ');
      expect(text).toContain('initrd --name ramdisk http://boot.example:8080/boot-files/ipa.initramfs ');
    } finally {
      await published.close();
    }
  });

  it("accepts iPXE's ${mac:hexhyp} spelling and upper case", async () => {
    const reply = await request(server.url, '/boot/52-54-00-00-00-02.ipxe');
    expect(reply.body.toString()).toContain('sanboot --no-describe --drive 0x80');
    expect((await request(server.url, '/boot/52%3A54%3A00%3A00%3A00%3A02.ipxe')).status).toBe(200);
  });

  it('renders the UEFI local-disk script when the URL passes ?platform=efi', async () => {
    const text = (await request(server.url, '/boot/52:54:00:00:00:02.ipxe?platform=efi')).body.toString();
    expect(text).toContain('\nexit\n');
    expect(text).not.toContain('sanboot');
  });

  it('answers an unknown MAC with the exit script, 200, and records nothing', async () => {
    const reply = await request(server.url, '/boot/52:54:00:99:99:99.ipxe');
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe('#!ipxe\n# Anvil: unknown host 52:54:00:99:99:99\nexit\n');
    expect(backend.served).toEqual([]);
  });

  it('answers a host whose script cannot be rendered with a console explanation and tells the observer', async () => {
    const reply = await request(server.url, '/boot/52:54:00:00:00:03.ipxe');
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toContain('echo Anvil: cannot boot 52:54:00:00:00:03');
    expect(errors).toContain('script for 52:54:00:00:00:03');
  });

  it('answers 503 while the backend cannot be read', async () => {
    backend.failLookups = true;
    expect((await request(server.url, '/boot/52:54:00:00:00:01.ipxe')).status).toBe(503);
  });

  it('answers 404 for a name that is not a MAC, and HEAD with headers only', async () => {
    expect((await request(server.url, '/boot/not-a-mac.ipxe')).status).toBe(404);
    const head = await request(server.url, '/boot/52:54:00:00:00:01.ipxe', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(100);
  });

  it('discovers unknown hosts when the policy says so', async () => {
    const discovering = await startBootHttpServer({
      host: '127.0.0.1',
      port: 0,
      backend,
      imageDirs: {},
      unknownHosts: {
        kind: 'discovery',
        kernelUrl: 'http://127.0.0.1/k',
        ramdiskUrl: 'http://127.0.0.1/r',
        kernelParams: ['ipa-inspection-callback-url=http://127.0.0.1:6385/v1/continue_inspection'],
      },
    });
    try {
      const text = (await request(discovering.url, '/boot/52:54:00:99:99:99.ipxe')).body.toString();
      expect(text).toContain('# Anvil: discovery for unknown host 52:54:00:99:99:99');
      expect(text).toContain('BOOTIF=01-52-54-00-99-99-99');
      expect((await request(discovering.url, '/images/disk.img')).status).toBe(404);
    } finally {
      await discovering.close();
    }
  });
});

describe('GET and HEAD /images and /boot-files', () => {
  it('streams a whole file with validators, and records the download for the host at that address', async () => {
    const reply = await request(server.url, '/boot-files/ipa.kernel');
    expect(reply.status).toBe(200);
    expect(reply.body.equals(kernel)).toBe(true);
    expect(reply.headers['content-length']).toBe(String(kernel.length));
    expect(reply.headers['accept-ranges']).toBe('bytes');
    expect(reply.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    expect(reply.headers['last-modified']).toBe(
      new Date(statSync(join(bootFiles, 'ipa.kernel')).mtimeMs).toUTCString(),
    );
    await expect
      .poll(() => backend.served)
      .toEqual([{ mac: agentHost.mac, what: { protocol: 'http', detail: '/boot-files/ipa.kernel' } }]);
  });

  it('answers HEAD with the length and no body', async () => {
    const reply = await request(server.url, '/boot-files/ipa.kernel', {
      method: 'HEAD',
      headers: { Range: 'bytes=0-9' },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-length']).toBe(String(kernel.length));
    expect(reply.body.length).toBe(0);
  });

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=100-', 100, kernel.length - 1],
    ['bytes=-10', kernel.length - 10, kernel.length - 1],
    ['bytes=99990-200000', 99_990, kernel.length - 1],
    ['bytes=5-5', 5, 5],
  ])('serves Range %s as 206 with Content-Range', async (range, start, end) => {
    const reply = await request(server.url, '/boot-files/ipa.kernel', { headers: { Range: range } });
    expect(reply.status).toBe(206);
    expect(reply.headers['content-range']).toBe(`bytes ${start}-${end}/${kernel.length}`);
    expect(reply.body.equals(kernel.subarray(start, end + 1))).toBe(true);
  });

  it.each(['bytes=100000-', 'bytes=200000-300000', 'bytes=-0'])(
    'answers unsatisfiable Range %s with 416 and the size',
    async (range) => {
      const reply = await request(server.url, '/boot-files/ipa.kernel', { headers: { Range: range } });
      expect(reply.status).toBe(416);
      expect(reply.headers['content-range']).toBe(`bytes */${kernel.length}`);
    },
  );

  it.each(['bytes=0-1,5-6', 'items=0-1', 'bytes=9-3', 'bytes=abc'])(
    'sends the whole file for a Range it does not serve (%s)',
    async (range) => {
      const reply = await request(server.url, '/boot-files/ipa.kernel', { headers: { Range: range } });
      expect(reply.status).toBe(200);
      expect(reply.body.length).toBe(kernel.length);
    },
  );

  it('honours If-Range: a stale validator gets the whole file, the current one the range', async () => {
    const { etag } = (await request(server.url, '/boot-files/ipa.kernel', { method: 'HEAD' })).headers;
    expect(
      (await request(server.url, '/boot-files/ipa.kernel', { headers: { Range: 'bytes=0-9', 'If-Range': '"stale"' } }))
        .status,
    ).toBe(200);
    expect(
      (await request(server.url, '/boot-files/ipa.kernel', { headers: { Range: 'bytes=0-9', 'If-Range': etag! } }))
        .status,
    ).toBe(206);
  });

  it('answers 304 to If-None-Match with the ETag and to If-Modified-Since with the date', async () => {
    const { etag, 'last-modified': lastModified } = (await request(server.url, '/images/disk.img', { method: 'HEAD' }))
      .headers;
    const byTag = await request(server.url, '/images/disk.img', { headers: { 'If-None-Match': `"other", ${etag}` } });
    expect(byTag.status).toBe(304);
    expect(byTag.body.length).toBe(0);
    expect(
      (await request(server.url, '/images/disk.img', { headers: { 'If-Modified-Since': lastModified! } })).status,
    ).toBe(304);
    expect(
      (
        await request(server.url, '/images/disk.img', {
          headers: { 'If-Modified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' },
        })
      ).status,
    ).toBe(200);
  });

  it('serves an empty file, percent-encoded names and symlinks that stay inside', async () => {
    const empty = await request(server.url, '/images/empty.img');
    expect([empty.status, empty.body.length]).toEqual([200, 0]);
    expect((await request(server.url, '/images/sub/nested%20name.qcow2')).body.toString()).toBe('nested');
    expect((await request(server.url, '/images/alias.img')).status).toBe(200);
  });

  it.each([
    ['a .. segment', '/images/../secret.txt', 403],
    ['a .. deeper down', '/images/sub/../../secret.txt', 403],
    ['an encoded ..', '/images/%2e%2e/secret.txt', 403],
    ['an encoded slash', '/images/..%2fsecret.txt', 403],
    ['an encoded backslash', '/images/..%5csecret.txt', 403],
    ['a NUL byte', '/images/disk.img%00.txt', 403],
    ['bad percent-encoding', '/images/%zz', 400],
    ['a symlink to a file outside', '/images/escape.img', 403],
    ['a path through a symlinked directory outside', '/images/escape-dir/secret.txt', 403],
    ['a directory', '/images/sub', 404],
    ['a missing file', '/images/missing.img', 404],
    ['the bare prefix', '/images/', 404],
  ])('refuses %s', async (_what, rawPath, status) => {
    const reply = await request(server.url, rawPath);
    expect(reply.status).toBe(status);
    expect(reply.body.toString()).not.toContain('secret');
  });

  it('answers 405 to other methods and 404 to other paths', async () => {
    const post = await request(server.url, '/images/disk.img', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await request(server.url, '/etc/passwd')).status).toBe(404);
  });
});

describe('published checksums', () => {
  it("serves <path>.sha256 in sha256sum's format, computed once per file version", async () => {
    const file = join(images, 'hashed.img');
    const first = randomBytes(50_000);
    writeFileSync(file, first);
    // Whole seconds, so restoring the mtime below restores it exactly.
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const atime = mtime;
    utimesSync(file, atime, mtime);
    const expected = createHash('sha256').update(first).digest('hex');
    const reply = await request(server.url, '/images/hashed.img.sha256');
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe(`${expected}  hashed.img\n`);

    // Same inode, size and mtime: the cached digest is served, not recomputed.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(10, 0xff), 0, 10, 0);
    closeSync(fd);
    utimesSync(file, atime, mtime);
    expect((await request(server.url, '/images/hashed.img.sha256')).body.toString()).toBe(`${expected}  hashed.img\n`);

    // A new version (mtime moves) gets a new digest.
    utimesSync(file, atime, new Date(mtime.getTime() + 5000));
    const changed = Buffer.from(first);
    changed.fill(0xff, 0, 10);
    expect((await request(server.url, '/images/hashed.img.sha256')).body.toString()).toBe(
      `${createHash('sha256').update(changed).digest('hex')}  hashed.img\n`,
    );
  });

  it('serves a checksum file the operator placed instead of computing one', async () => {
    expect((await request(server.url, '/images/published.img.sha256')).body.toString()).toBe(
      'operator-provided  published.img\n',
    );
  });

  it('answers 404 for the checksum of a missing file and 403 for one outside', async () => {
    expect((await request(server.url, '/images/missing.img.sha256')).status).toBe(404);
    expect((await request(server.url, '/images/escape.img.sha256')).status).toBe(403);
  });
});

describe('observer', () => {
  it('reports each request with its route, status and body bytes', async () => {
    events.length = 0;
    await request(server.url, '/boot-files/ipa.kernel', { headers: { Range: 'bytes=0-999' } });
    await request(server.url, '/boot/52:54:00:99:99:99.ipxe');
    await request(server.url, '/images/missing.img');
    await expect.poll(() => events.length).toBe(3);
    expect(events.map((e) => [e.route, e.status, e.bytes, e.completed])).toEqual([
      ['boot-files', 206, 1000, true],
      ['script', 200, '#!ipxe\n# Anvil: unknown host 52:54:00:99:99:99\nexit\n'.length, true],
      ['images', 404, 'no such file\n'.length, true],
    ]);
  });
});
