// Real TFTP clients from Debian (tftp-hpa's `tftp`, `atftp`, `curl`) against
// Anvil's TFTP server on 127.0.0.1: byte-identical files at every blksize the
// client can ask for, RFC 7440 windows where it can, refused traversal.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedFiles, startTftpServer, type TftpEvent, type TftpServer } from '../../pxe/tftp/index.js';
import { requireTool } from './tools.js';

type TransferEvent = Extract<TftpEvent, { event: 'transfer-complete' | 'transfer-failed' }>;

const haveHpa = requireTool('tftp');
const haveAtftp = requireTool('atftp');
const haveCurl = requireTool('curl');
const IPXE_DIR = '/usr/lib/ipxe';
const IPXE_FILES = ['undionly.kpxe', 'ipxe.efi', 'snponly.efi'];
// requireTool only answers for executables; it is asked when a file is missing, to skip loudly (or fail under CI).
const haveIpxe =
  IPXE_FILES.every((f) => existsSync(path.join(IPXE_DIR, f))) || requireTool(path.join(IPXE_DIR, 'undionly.kpxe'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client with a hard timeout (execFile kills it), never throwing on a non-zero exit. */
function run(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: 120_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

let base: string;
let root: string;
let out: string;
let server: TftpServer;
let ipxeServer: TftpServer;
const events: TransferEvent[] = [];
const files: Record<string, Buffer> = {};

function observe(event: TftpEvent): void {
  if (event.event !== 'record-failed') events.push(event);
}

/**
 * The event that ended the first transfer of `file` seen after `since`
 * events. It may come after the client has exited: the server reads the
 * client's last ACK after the client has gone. Waits at most 5 s.
 */
async function transferEnd(file: string, since: number): Promise<TransferEvent | undefined> {
  for (let waited = 0; waited < 5_000; waited += 20) {
    const found = events.slice(since).find((e) => e.file === file);
    if (found !== undefined) return found;
    await delay(20);
  }
  return undefined;
}

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'anvil-tftp-interop-'));
  root = path.join(base, 'root');
  out = path.join(base, 'out');
  await mkdir(path.join(root, 'boot'), { recursive: true });
  await mkdir(out);
  files['medium.bin'] = randomBytes(1_500_123);
  files['whole.bin'] = randomBytes(65464 * 3);
  // More than 65535 blocks of 512 bytes: block numbers wrap during the transfer.
  files['boot/big.bin'] = randomBytes(33 * 1024 * 1024 + 17);
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(root, name), content);
  await writeFile(path.join(base, 'secret'), 'outside the root\n');
  await symlink(path.join(base, 'secret'), path.join(root, 'escape'));
  server = await startTftpServer({ root, host: '127.0.0.1', port: 0, observer: observe });
  if (haveIpxe) {
    // As Anvil configures them: each binary by its package path; the root holds nothing.
    const configured = Object.fromEntries(IPXE_FILES.map((f) => [f, path.join(IPXE_DIR, f)]));
    await mkdir(path.join(base, 'empty'));
    ipxeServer = await startTftpServer({
      root: path.join(base, 'empty'),
      host: '127.0.0.1',
      port: 0,
      observer: observe,
      resolve: namedFiles(configured),
    });
  }
});

afterAll(async () => {
  await server?.close();
  await ipxeServer?.close();
  await rm(base, { recursive: true, force: true });
});

async function fetched(local: string): Promise<Buffer> {
  return readFile(path.join(out, local));
}

const traversals = ['../../etc/passwd', '/etc/passwd', 'escape', 'boot/../../secret'];

describe.skipIf(!haveHpa)("tftp-hpa's tftp (RFC 1350 only: it sends no options)", () => {
  const hpa = (remote: string, local: string): Promise<Run> =>
    run('tftp', ['-m', 'binary', '127.0.0.1', String(server.port), '-c', 'get', remote, local], out);

  it.each(['medium.bin', 'whole.bin'])('fetches %s byte-identical at 512-byte blocks', async (file) => {
    const local = `hpa-${path.basename(file)}`;
    const since = events.length;
    expect((await hpa(file, local)).code).toBe(0);
    expect((await fetched(local)).equals(files[file] as Buffer)).toBe(true);
    expect(await transferEnd(file, since)).toMatchObject({
      event: 'transfer-complete',
      blksize: 512,
      windowsize: 1,
      bytes: files[file]?.length,
    });
  });

  it('fetches a 33 MiB file across the block-number wrap', async () => {
    expect((await hpa('boot/big.bin', 'hpa-big.bin')).code).toBe(0);
    expect((await fetched('hpa-big.bin')).equals(files['boot/big.bin'] as Buffer)).toBe(true);
  });

  it.each(traversals)('is refused %j and gets no bytes', async (remote) => {
    const local = `hpa-refused-${traversals.indexOf(remote)}`;
    const since = events.length;
    const result = await hpa(remote, local);
    // tftp-hpa 5.2 exits 0 after an ERROR, leaving an empty local file: judge by its message.
    expect(result.stdout + result.stderr).toMatch(/Error code [12]: (Access violation|File not found)/);
    expect(existsSync(path.join(out, local)) ? (await stat(path.join(out, local))).size : 0).toBe(0);
    expect(await transferEnd(remote.startsWith('/') ? remote.slice(1) : remote, since)).toMatchObject({
      event: 'transfer-failed',
      bytes: 0,
    });
  });
});

describe.skipIf(!haveAtftp)('atftp (RFC 2348 blksize, RFC 7440 windowsize)', () => {
  const atftp = (remote: string, local: string, options: string[]): Promise<Run> =>
    run(
      'atftp',
      [
        ...options.flatMap((o) => ['--option', o]),
        '--get',
        '-r',
        remote,
        '-l',
        local,
        '127.0.0.1',
        String(server.port),
      ],
      out,
    );

  const matrix = [512, 1468, 8192, 65464].flatMap((blksize) =>
    [1, 4, 8].map((windowsize) => [blksize, windowsize] as const),
  );
  it.each(matrix)('fetches byte-identical at blksize %i, windowsize %i', async (blksize, windowsize) => {
    const local = `atftp-${blksize}-${windowsize}`;
    const since = events.length;
    const result = await atftp('medium.bin', local, [`blksize ${blksize}`, `windowsize ${windowsize}`, 'tsize 0']);
    expect(result.code, result.stderr).toBe(0);
    expect((await fetched(local)).equals(files['medium.bin'] as Buffer)).toBe(true);
    // The server shrinks windows to 64 KiB (RFC 7440 §3 lets it answer smaller): larger bursts overflowed atftp's socket buffer.
    const answered = Math.min(windowsize, Math.max(1, Math.floor(65536 / blksize)));
    const end = await transferEnd('medium.bin', since);
    expect(end).toMatchObject({ event: 'transfer-complete', blksize, windowsize: answered, bytes: 1_500_123 });
    // A window overflowing atftp's buffer would be resent nearly every time; a client stalled by a busy machine, once or twice.
    expect(end?.retransmits, JSON.stringify(end)).toBeLessThanOrEqual(2);
  });

  it('fetches a 33 MiB file across the block-number wrap with windowsize 8', async () => {
    const result = await atftp('boot/big.bin', 'atftp-big.bin', ['blksize 512', 'windowsize 8']);
    expect(result.code, result.stderr).toBe(0);
    expect((await fetched('atftp-big.bin')).equals(files['boot/big.bin'] as Buffer)).toBe(true);
  });

  it.each(traversals)('is refused %j and gets no bytes', async (remote) => {
    const local = `atftp-refused-${traversals.indexOf(remote)}`;
    const result = await atftp(remote, local, ['blksize 1468']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Access violation|File not found/);
    expect(existsSync(path.join(out, local)) ? (await stat(path.join(out, local))).size : 0).toBe(0);
  });
});

describe.skipIf(!haveCurl)('curl tftp:// (RFC 2348 blksize, RFC 2349 tsize)', () => {
  const curl = (remote: string, local: string, blksize: number): Promise<Run> =>
    // --path-as-is: otherwise curl itself folds `..` away before the server sees it.
    run(
      'curl',
      [
        '-sS',
        '--path-as-is',
        '--tftp-blksize',
        String(blksize),
        `tftp://127.0.0.1:${server.port}/${remote}`,
        '-o',
        local,
      ],
      out,
    );

  it.each([512, 1024, 1468, 8192, 32768, 65464])('fetches byte-identical at blksize %i', async (blksize) => {
    const local = `curl-${blksize}`;
    const since = events.length;
    const result = await curl('medium.bin', local, blksize);
    expect(result.code, result.stderr).toBe(0);
    expect((await fetched(local)).equals(files['medium.bin'] as Buffer)).toBe(true);
    expect(await transferEnd('medium.bin', since)).toMatchObject({
      event: 'transfer-complete',
      blksize,
      bytes: 1_500_123,
    });
  });

  it('fetches a file of whole 65464-byte blocks (empty last block)', async () => {
    expect((await curl('whole.bin', 'curl-whole', 65464)).code).toBe(0);
    expect((await fetched('curl-whole')).equals(files['whole.bin'] as Buffer)).toBe(true);
  });

  it.each(traversals.map((t) => t.replace(/^\//, '%2F')))('is refused %j and gets no bytes', async (remote) => {
    const local = `curl-refused-${remote.length}`;
    const result = await curl(remote, local, 1468);
    // curl: 68 is "TFTP file not found", 69 "TFTP permission problem".
    expect([68, 69]).toContain(result.code);
    expect(existsSync(path.join(out, local)) ? (await stat(path.join(out, local))).size : 0).toBe(0);
  });
});

describe.skipIf(!haveIpxe || !haveCurl || !haveAtftp || !haveHpa)("Debian's iPXE binaries, configured by path", () => {
  it.each(IPXE_FILES)('serves %s byte-identical to tftp-hpa, atftp and curl', async (file) => {
    const expected = await readFile(path.join(IPXE_DIR, file));
    const port = String(ipxeServer.port);
    const runs = [
      await run('tftp', ['-m', 'binary', '127.0.0.1', port, '-c', 'get', file, `ipxe-hpa-${file}`], out),
      await run(
        'atftp',
        [
          '--option',
          'blksize 1468',
          '--option',
          'windowsize 4',
          '--get',
          '-r',
          file,
          '-l',
          `ipxe-atftp-${file}`,
          '127.0.0.1',
          port,
        ],
        out,
      ),
      await run(
        'curl',
        ['-sS', '--tftp-blksize', '1468', `tftp://127.0.0.1:${port}/${file}`, '-o', `ipxe-curl-${file}`],
        out,
      ),
    ];
    for (const result of runs) expect(result.code, result.stderr).toBe(0);
    for (const client of ['hpa', 'atftp', 'curl'])
      expect((await fetched(`ipxe-${client}-${file}`)).equals(expected)).toBe(true);
  });
});

describe.skipIf(!haveIpxe || !haveCurl)("/usr/lib/ipxe as a root: confinement meets Debian's layout", () => {
  it('serves the regular files but refuses ipxe.efi, a symlink to /boot outside that root', async () => {
    const direct = await startTftpServer({ root: IPXE_DIR, host: '127.0.0.1', port: 0 });
    try {
      const url = (file: string): string => `tftp://127.0.0.1:${direct.port}/${file}`;
      expect((await run('curl', ['-sS', url('undionly.kpxe'), '-o', 'direct-undionly.kpxe'], out)).code).toBe(0);
      expect((await fetched('direct-undionly.kpxe')).equals(await readFile(path.join(IPXE_DIR, 'undionly.kpxe')))).toBe(
        true,
      );
      const refused = await run('curl', ['-sS', url('ipxe.efi'), '-o', 'direct-ipxe.efi'], out);
      // 69: "TFTP permission problem", the Access violation for a symlink leaving the root.
      expect(refused.code).toBe(69);
    } finally {
      await direct.close();
    }
  });
});
