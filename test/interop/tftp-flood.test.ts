// Issue 12, item 8: a flood of unanswered read requests from one host must
// not stop a rack from booting. Anvil's TFTP server (its default limits, as
// `anvil serve` starts it) in one network namespace; a flooder in another
// sending thousands of requests from fresh ports and acknowledging nothing;
// a rack host in a third fetching boot files with real clients (tftp-hpa's
// `tftp`, atftp) meanwhile. All on a private segment this test creates and
// deletes (see dhcp-netns.ts); the flood is bounded in count and in time.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lan, removeStaleNamespaces, requireNetns } from './dhcp-netns.js';
import { requireTool } from './tools.js';

const ready = requireTool('tftp') && requireTool('atftp') && requireTool('ip') && requireNetns();

const REPO = resolve(import.meta.dirname, '../..');
const SERVER_IP = '10.77.0.1';
const RACK_IP = '10.77.0.10';
const FLOOD_IP = '10.77.0.66';
/** More than the server-wide cap of 1,000 running transfers, at about 1,000 a second. */
const FLOOD_COUNT = 6000;
const FLOOD_SECONDS = 10;
/** The server's defaults this test relies on (pxe/tftp/server.ts). */
const PER_CLIENT = 8;
const FIRST_ACK_S = 5;

interface Line {
  event: string;
  [key: string]: unknown;
}

/** A runner (tftp-flood-runner.ts) inside a namespace, and the JSON lines it said. */
class Runner {
  readonly lines: Line[] = [];
  private stderr = '';
  private constructor(private readonly child: ChildProcess) {
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as Line);
      } catch {
        this.stderr += `${line}\n`;
      }
    });
  }

  static start(ns: string, args: string[]): Runner {
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/interop/tftp-flood-runner.ts', ...args],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new Runner(child);
  }

  last(event: string): Line | undefined {
    return this.lines.filter((l) => l.event === event).at(-1);
  }

  async until(match: (line: Line) => boolean, ms: number, what: string): Promise<Line> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (this.child.exitCode !== null && this.child.exitCode !== 0)
        throw new Error(`runner exited ${this.child.exitCode} before ${what}: ${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`not within ${ms} ms: ${what}; last lines ${JSON.stringify(this.lines.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Ends the runner (this process's own child, by its pid), at most 5 s after asking politely. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((done) => this.child.once('exit', () => done()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

/** Waits (bounded) until `check` holds. */
async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Run {
  code: number;
  stderr: string;
  /** When the client exited, in ms since the epoch. */
  at: number;
}

/** A real client in `ns`, with a hard timeout (execFile kills it), never throwing on a non-zero exit. */
function inNs(ns: string, command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((done) => {
    execFile('ip', ['netns', 'exec', ns, command, ...args], { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      done({ code, stderr: stdout + stderr, at: Date.now() });
    });
  });
}

describe.skipIf(!ready)('a TFTP flood from one host while a rack host boots (network namespaces)', () => {
  const tag = `t${process.pid % 100000}`;
  let lan: Lan | undefined;
  let server: Runner | undefined;
  let flooder: Runner | undefined;
  let dir = '';
  let rackNs = '';
  let floodNs = '';
  const files: Record<string, Buffer> = {
    'undionly.kpxe': randomBytes(70_000),
    'ipxe.efi': randomBytes(1024 * 1024 + 17),
  };

  beforeAll(async () => {
    removeStaleNamespaces('anvil-t');
    dir = await mkdtemp(join(tmpdir(), 'anvil-tftp-flood-'));
    await mkdir(join(dir, 'root'));
    await mkdir(join(dir, 'out'));
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, 'root', name), content);
    lan = new Lan(tag);
    const serverNs = lan.ns('srv');
    rackNs = lan.ns('rack');
    floodNs = lan.ns('flood');
    lan.plug(serverNs, 'srv0', '02:00:00:77:01:01', `${SERVER_IP}/24`);
    lan.plug(rackNs, 'rack0', '02:00:00:77:01:10', `${RACK_IP}/24`);
    lan.plug(floodNs, 'flood0', '02:00:00:77:01:66', `${FLOOD_IP}/24`);
    server = Runner.start(serverNs, ['serve', join(dir, 'root'), SERVER_IP, '69']);
    await server.until((l) => l.event === 'ready', 60_000, 'the TFTP server ready');
  });

  afterAll(async () => {
    await flooder?.stop();
    await server?.stop();
    lan?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the rack host byte-identical files during the flood, holds the flooder at its bound and reclaims its transfers within seconds', async () => {
    flooder = Runner.start(floodNs, ['flood', SERVER_IP, '69', String(FLOOD_COUNT), String(FLOOD_SECONDS)]);
    // Well past the server-wide cap: without a per-client bound every one of these would hold a slot for 47 s.
    await flooder.until((l) => l.event === 'sent' && Number(l.sent) >= 1500, 30_000, '1,500 flood requests sent');

    const out = join(dir, 'out');
    const [hpa, atftp] = await Promise.all([
      inNs(rackNs, 'tftp', ['-m', 'binary', SERVER_IP, '69', '-c', 'get', 'ipxe.efi', 'hpa-ipxe.efi'], out),
      inNs(
        rackNs,
        'atftp',
        [
          '--option',
          'blksize 1468',
          '--option',
          'windowsize 4',
          '--get',
          '-r',
          'undionly.kpxe',
          '-l',
          'atftp-undionly.kpxe',
          SERVER_IP,
          '69',
        ],
        out,
      ),
    ]);
    // Both finished while the flood was still going.
    expect(flooder.last('done')).toBeUndefined();
    expect(hpa.code, hpa.stderr).toBe(0);
    expect(atftp.code, atftp.stderr).toBe(0);
    expect((await readFile(join(out, 'hpa-ipxe.efi'))).equals(files['ipxe.efi']!)).toBe(true);
    expect((await readFile(join(out, 'atftp-undionly.kpxe'))).equals(files['undionly.kpxe']!)).toBe(true);
    const rackServed = (): unknown[] =>
      server!.lines.filter((l) => l.event === 'complete' && l.client === RACK_IP).map((l) => l.file);
    await waitFor(() => rackServed().length === 2, 2000, "the server's account of the rack host's transfers");
    expect(rackServed().sort()).toEqual(['ipxe.efi', 'undionly.kpxe']);

    const done = await flooder.until((l) => l.event === 'done', (FLOOD_SECONDS + 10) * 1000, 'the flood over');
    const answers = done.answers as Record<string, number>;
    const refusedMessage = 'Too many transfers from this client';
    const admitted = (answers.DATA ?? 0) + (answers.OACK ?? 0);
    expect(Number(done.sent)).toBeGreaterThan(1500);
    expect(answers['Server busy']).toBeUndefined();
    // A slot of the flooder's comes back every 5 s: a few dozen admitted at most, all the rest refused.
    expect(admitted).toBeGreaterThanOrEqual(PER_CLIENT);
    expect(admitted).toBeLessThanOrEqual(PER_CLIENT * (Math.ceil(FLOOD_SECONDS / FIRST_ACK_S) + 1));
    expect(answers[refusedMessage]).toBe(Number(done.sent) - admitted);

    // Every admitted flood transfer is reclaimed on the first-ACK deadline, not after the 47 s schedule.
    const stats = (): Line => server!.last('stats')!;
    await waitFor(
      () => (stats().failed as Record<string, number>).unacknowledged === admitted,
      (FIRST_ACK_S + 3) * 1000,
      'every admitted flood transfer reclaimed',
    );
    await waitFor(() => stats().active === 0, 1000, 'no transfer left running');
    expect(stats().refused).toEqual({ 'client-limit': Number(done.sent) - admitted });
    expect(stats().failed).toEqual({ unacknowledged: admitted });
  });
});
