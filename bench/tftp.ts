/**
 * TFTP throughput, Anvil's server (on its native data path, and on its worker
 * threads as where that was not built) vs tftpd-hpa's `in.tftpd`, in one run with
 * the same client (`curl`, which negotiates blksize; tftp-hpa's `tftp` 5.2
 * sends no options): a 64 MiB file at each blksize, rounds alternating between
 * the servers, medians and their ratio; then N concurrent `curl` fetches of a
 * smaller file from each (time to finish all, failures).
 * Each server runs in a process of its own, apart from this one, which spawns
 * the clients: Anvil's from bench/tftp-anvil-server.ts, on the build this
 * bench makes first (`tsc`), as `npm start` runs it; `in.tftpd` on a free
 * loopback port (`-L -s ROOT -a 127.0.0.1:PORT`, so root: it chroots). Both are
 * killed at the end.
 * Usage: npx tsx bench/tftp.ts [rounds] [concurrent] [small file KiB]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { buildAnvil } from './build.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const CONCURRENT = Number(process.argv[3] ?? 200);
const SMALL_KIB = Number(process.argv[4] ?? 1024);
const BIG = 'big.bin';
const SMALL = 'small.bin';
const BLKSIZES = [1468, 65464];
/** Rounds at a blksize: at 65464 a fetch takes a tenth of a second, so four times as many are timed. */
const roundsAt = (blksize: number): number => (blksize >= 32768 ? ROUNDS * 4 : ROUNDS);
/** No single fetch may take longer; a hung transfer fails the bench instead of stalling it. */
const FETCH_TIMEOUT_S = 180;

interface Fetch {
  ok: boolean;
  seconds: number;
  detail: string;
}

function curl(port: number, file: string, blksize: number, output: string): Promise<Fetch> {
  const started = performance.now();
  const args = [
    '-sS',
    '--max-time',
    String(FETCH_TIMEOUT_S),
    '--tftp-blksize',
    String(blksize),
    `tftp://127.0.0.1:${port}/${file}`,
    '-o',
    output,
  ];
  return new Promise((resolve) => {
    execFile('curl', args, { timeout: (FETCH_TIMEOUT_S + 10) * 1000 }, (error, _stdout, stderr) => {
      resolve({
        ok: error === null,
        seconds: (performance.now() - started) / 1000,
        detail: error === null ? '' : `${String(error.code)} ${stderr.trim()}`,
      });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function startTftpd(root: string, port: number): Promise<ChildProcess> {
  // detached: its own process group, so the per-transfer children it forks die with it.
  const child = spawn('in.tftpd', ['-L', '-s', root, '-a', `127.0.0.1:${port}`], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const probe = path.join(root, '..', 'probe.out');
  for (let attempt = 0; attempt < 50; attempt++) {
    if (child.exitCode !== null) throw new Error(`in.tftpd exited with ${child.exitCode}: ${stderr}`);
    if ((await curl(port, SMALL, 512, probe)).ok) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stopTftpd(child);
  throw new Error(`in.tftpd did not answer on port ${port}: ${stderr}`);
}

/** Anvil's server in its own process; resolves with its port once it listens. */
async function startAnvil(
  root: string,
  dataPath: 'native' | 'threads',
): Promise<{ port: number; child: ChildProcess }> {
  // Every client here is 127.0.0.1: lift the per-client bound, which would refuse the bench's own concurrency.
  const script = path.join(import.meta.dirname, 'tftp-anvil-server.ts');
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), script, root, String(CONCURRENT), dataPath],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = await new Promise<string[]>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`Anvil's TFTP server exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (first) => resolve([first]));
  });
  return { port: (JSON.parse(line!) as { port: number }).port, child };
}

function stopTftpd(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
}

async function main(): Promise<void> {
  await buildAnvil();
  const work = await mkdtemp(path.join(tmpdir(), 'anvil-bench-tftp-'));
  const root = path.join(work, 'root');
  const big = randomBytes(64 * 1024 * 1024);
  const small = randomBytes(SMALL_KIB * 1024);
  await mkdir(root);
  await writeFile(path.join(root, BIG), big);
  await writeFile(path.join(root, SMALL), small);
  // in.tftpd drops to user nobody: the tree must be readable by others.
  await chmod(work, 0o755);
  await chmod(root, 0o755);
  await chmod(path.join(root, BIG), 0o644);
  await chmod(path.join(root, SMALL), 0o644);

  const anvil = await startAnvil(root, 'native');
  const anvilThreads = await startAnvil(root, 'threads');
  const tftpdPort = await freePort();
  const tftpd = await startTftpd(root, tftpdPort);
  const servers = [
    { name: 'anvil', port: anvil.port },
    { name: 'anvil-threads', port: anvilThreads.port },
    { name: 'tftpd-hpa', port: tftpdPort },
  ];
  try {
    console.log(
      `64 MiB file, ${ROUNDS} rounds (${ROUNDS * 4} at blksize 65464), client curl; Anvil on port ${anvil.port} (native data path), ` +
        `${anvilThreads.port} (worker threads), in.tftpd on port ${tftpdPort}\n`,
    );
    // Correctness first, untimed: each server, each blksize, byte-identical.
    for (const server of servers) {
      for (const blksize of BLKSIZES) {
        const output = path.join(work, `check-${server.name}-${blksize}`);
        const result = await curl(server.port, BIG, blksize, output);
        if (!result.ok || sha256(await readFile(output)) !== sha256(big))
          throw new Error(`${server.name} blksize ${blksize}: wrong file (${result.detail})`);
        await rm(output);
      }
    }
    console.log('| server | blksize | seconds per round | median s | MiB/s (median) |');
    console.log('|---|---|---|---|---|');
    const medians = new Map<string, number>();
    for (const blksize of BLKSIZES) {
      const times = new Map<string, number[]>(servers.map((s) => [s.name, []]));
      for (let round = 0; round < roundsAt(blksize); round++) {
        // Alternating within a round, so a burst of other load hits both servers.
        for (const server of round % 2 ? [...servers].reverse() : servers) {
          const result = await curl(server.port, BIG, blksize, '/dev/null');
          if (!result.ok) throw new Error(`${server.name} blksize ${blksize} round ${round}: ${result.detail}`);
          times.get(server.name)?.push(result.seconds);
        }
      }
      for (const server of servers) {
        const list = times.get(server.name) ?? [];
        const m = median(list);
        medians.set(`${server.name}/${blksize}`, m);
        console.log(
          `| ${server.name} | ${blksize} | ${list.map((t) => t.toFixed(3)).join(', ')} | ${m.toFixed(3)} | ${(64 / m).toFixed(0)} |`,
        );
      }
    }
    console.log('');
    for (const blksize of BLKSIZES) {
      for (const name of ['anvil', 'anvil-threads']) {
        const ratio =
          (medians.get(`tftpd-hpa/${blksize}`) ?? Number.NaN) / (medians.get(`${name}/${blksize}`) ?? Number.NaN);
        console.log(
          `blksize ${blksize}: tftpd-hpa median / ${name} median = ${ratio.toFixed(2)} (above 1: Anvil faster)`,
        );
      }
    }

    console.log(`\n${CONCURRENT} concurrent curl fetches of a ${SMALL_KIB} KiB file at blksize 1468:\n`);
    console.log('| server | transfers | failed | seconds to finish all | slowest s |');
    console.log('|---|---|---|---|---|');
    for (const server of servers) {
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: CONCURRENT }, () => curl(server.port, SMALL, 1468, '/dev/null')),
      );
      const seconds = (performance.now() - started) / 1000;
      const failed = results.filter((r) => !r.ok);
      console.log(
        `| ${server.name} | ${CONCURRENT} | ${failed.length} | ${seconds.toFixed(2)} | ${Math.max(...results.map((r) => r.seconds)).toFixed(2)} |`,
      );
      for (const failure of failed.slice(0, 3)) console.log(`  failure: ${failure.detail}`);
    }
  } finally {
    stopTftpd(tftpd);
    anvil.child.kill('SIGTERM');
    anvilThreads.child.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
