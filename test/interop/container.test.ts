// Issue 12 item 7: Anvil's container image, built and run here with Debian's
// podman the way the README says, and looked at from outside.
//
// The base image is Debian minbase from debootstrap (no registry answers
// here), built once and kept in podman's image store (about 40 s); the
// Anvil image is rebuilt every run by packaging/container/build-image.sh
// (tsc, pruned node_modules, this machine's node: about 25 s with the apt
// layer cached, 40 s without). The whole file takes about 35 s warm, 90 s
// from an empty image store. The container runs with the image's secure
// defaults (basic auth, HTTPS from a certificate anvil-init makes) in a
// network namespace of its own, so it uses the real ports (6385, 8080, TFTP
// on 69) without touching the host's: the clients (curl, tftp-hpa, the sim)
// run in that namespace with `ip netns exec`, the anvil CLI inside the
// container with `podman exec`. A second container runs as
// docker-compose.yml runs it: on the host's network (loopback, free ports),
// against PostgreSQL, with the first user's password given.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/engines.js';
import { requireNetns } from './dhcp-netns.js';
import { requireTool, stopGroup } from './tools.js';

const REPO = resolve(import.meta.dirname, '../..');
/** How podman runs on this machine: runc, and no systemd to manage cgroups. */
const PODMAN = ['podman', '--runtime', 'runc', '--cgroup-manager=cgroupfs'];
const BASE = 'localhost/anvil-base';
const IMAGE = 'localhost/anvil:interop';
/** The image's user (Dockerfile). */
const UID = 6385;
const LABEL = 'anvil-interop=container';
const CAP_NET_BIND_SERVICE = 10;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with a hard timeout, never throwing on a non-zero exit. */
function run(
  command: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Run> {
  const [file, ...args] = command;
  return new Promise((done) => {
    execFile(
      file!,
      args,
      {
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 << 20,
        env: options.env ?? process.env,
        cwd: options.cwd ?? REPO,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** The last lines of a long output, for a failure message. */
function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * Whether podman works here. It is installed (requireTool checked), so a
 * podman that cannot run (no user namespaces, no overlay) skips loudly even
 * under CI=true: the machine, not the project, is missing something.
 */
function requireWorkingPodman(): boolean {
  const info = spawnSync(PODMAN[0]!, [...PODMAN.slice(1), 'info', '--format', '{{.Host.OCIRuntime.Name}}'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (info.status === 0) return true;
  const why = (info.stderr || info.error?.message || `exit ${info.status}`).trim();
  console.warn(`!!! interop: podman cannot work here (podman info: ${why}). The container test is SKIPPED`);
  return false;
}

const ready =
  requireTool('podman') &&
  requireTool('runc') &&
  requireTool('debootstrap') &&
  requireTool('curl') &&
  requireTool('tftp') &&
  requireNetns() &&
  requireWorkingPodman();

/**
 * Limits within the session's hard ones: podman's defaults (1048576 open
 * files) are refused where the session has fewer. A few thousand processes
 * are plenty (runc here also refused nproc above 32768, with a hard limit of 96363).
 */
function ulimits(): string[] {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const hard = (what: string, cap: number): number => {
    const value = new RegExp(`^${what}\\s+\\S+\\s+(\\S+)`, 'm').exec(limits)?.[1];
    if (value === undefined) throw new Error(`no "${what}" in /proc/self/limits`);
    return value === 'unlimited' ? cap : Math.min(cap, Number(value));
  };
  const nofile = hard('Max open files', 65536);
  const nproc = hard('Max processes', 4096);
  return ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`];
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const podman = (args: string[], timeoutMs?: number): Promise<Run> =>
  run([...PODMAN, ...args], timeoutMs === undefined ? {} : { timeoutMs });

const logsOf = async (container: string): Promise<string> => {
  const r = await podman(['logs', container]);
  return r.stdout + r.stderr;
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Containers and namespaces of earlier runs that died before cleaning up:
 * their names carry the pid of the run, so a run still going (another
 * engineer's) keeps its own.
 */
async function removeLeftovers(): Promise<void> {
  const listed = await podman(['ps', '-a', '--filter', `label=${LABEL}`, '--format', '{{.Names}}']);
  for (const container of listed.stdout.split('\n').filter(Boolean)) {
    const pid = Number(/^anvil-interop-(\d+)-/.exec(container)?.[1]);
    if (!alive(pid)) await podman(['rm', '-f', container]);
  }
  for (const line of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n')) {
    const pid = Number(/^anvil-ctr(\d+)\b/.exec(line)?.[1]);
    if (pid && !alive(pid)) spawnSync('ip', ['netns', 'del', `anvil-ctr${pid}`]);
  }
}

let images: Promise<void> | undefined;

/** The base image (kept between runs) and a fresh Anvil image from this tree: once per run, for both suites. */
function buildImages(): Promise<void> {
  images ??= (async () => {
    await removeLeftovers();
    let t = Date.now();
    const base = await run(['packaging/container/build-base-image.sh'], { timeoutMs: 600_000 });
    if (base.code !== 0) throw new Error(`build-base-image.sh failed:\n${tail(base.stdout + base.stderr)}`);
    console.log(`container test: base image ${BASE} ready in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    t = Date.now();
    const build = await run(['packaging/container/build-image.sh', IMAGE, '--', '--network', 'host', ...ulimits()], {
      timeoutMs: 900_000,
      env: { ...process.env, CONTAINER_CMD: PODMAN.join(' '), ANVIL_BASE: BASE },
    });
    if (build.code !== 0) throw new Error(`build-image.sh failed:\n${tail(build.stdout + build.stderr)}`);
    console.log(`container test: image ${IMAGE} built in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  })();
  return images;
}

/** Waits until podman finds the container healthy by the image's HEALTHCHECK, run on demand (no systemd timers here). */
async function waitHealthy(container: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if ((await podman(['healthcheck', 'run', container])).code === 0) return;
    const state = await podman(['inspect', '--format', '{{.State.Running}}', container]);
    if (state.stdout.trim() !== 'true') throw new Error(`the container stopped:\n${tail(await logsOf(container))}`);
    if (Date.now() > deadline) throw new Error(`not healthy in 60 s:\n${tail(await logsOf(container))}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A data directory for the container, owned by the image's user as a bind mount must be. */
function dataVolume(): string {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-container-'));
  chownSync(dir, UID, UID);
  chmodSync(dir, 0o755);
  return dir;
}

/** A port nobody listens on now, TCP or UDP, on loopback. */
async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const { port } = socket.address();
    await new Promise<void>((r) => socket.close(() => r()));
    return port;
  }
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe.skipIf(!ready)(
  'the image under podman, in a namespace of its own: secure defaults, TFTP on 69, a PXE boot',
  () => {
    const name = `anvil-interop-${process.pid}-ns`;
    const ns = `anvil-ctr${process.pid}`;
    let volume = '';
    let password = '';
    let sim: ChildProcess | undefined;
    let simLog = '';

    const inNs = (command: string[], timeoutMs?: number): Promise<Run> =>
      run(['ip', 'netns', 'exec', ns, ...command], timeoutMs === undefined ? {} : { timeoutMs });
    const logs = (): Promise<string> => logsOf(name);
    /** The anvil CLI inside the container, as the admin anvil-init made. */
    const anvil = (args: string[], timeoutMs?: number): Promise<Run> =>
      podman(
        [
          'exec',
          '-e',
          'ANVIL_URL=https://127.0.0.1:6385',
          '-e',
          'ANVIL_USERNAME=admin',
          '-e',
          `ANVIL_PASSWORD=${password}`,
          '-e',
          'ANVIL_CACERT=/var/lib/anvil/tls/tls.crt',
          name,
          'anvil',
          ...args,
        ],
        timeoutMs,
      );
    const curl = (args: string[]): Promise<Run> =>
      inNs(['curl', '-sS', '--max-time', '10', '--cacert', join(volume, 'tls/tls.crt'), ...args]);

    /** The host pid of `anvil serve` (the container's pid 1 is tini, which started it). */
    function servePid(pid1: number): number {
      const children = readFileSync(`/proc/${pid1}/task/${pid1}/children`, 'utf8').trim().split(/\s+/);
      const pid = children.map(Number).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('anvil.js'));
      if (pid === undefined) throw new Error(`no anvil.js among the children of ${pid1}: ${children.join(' ')}`);
      return pid;
    }

    beforeAll(async () => {
      await buildImages();
      spawnSync('ip', ['netns', 'add', ns]);
      spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      // The agent kernel and ramdisk, where an operator would put them.
      volume = dataVolume();
      mkdirSync(join(volume, 'boot'));
      writeFileSync(join(volume, 'boot/ipa.kernel'), Buffer.alloc(6000, 0x4b));
      writeFileSync(join(volume, 'boot/ipa.initramfs'), Buffer.alloc(8000, 0x49));
      for (const path of ['boot', 'boot/ipa.kernel', 'boot/ipa.initramfs']) chownSync(join(volume, path), UID, UID);

      const start = await podman([
        'run',
        '-d',
        '--name',
        name,
        '--label',
        LABEL,
        '--network',
        `ns:/run/netns/${ns}`,
        ...ulimits(),
        '-v',
        `${volume}:/var/lib/anvil`,
        '-e',
        `ANVIL_SECRET_KEY=${'c7'.repeat(32)}`,
        '-e',
        'ANVIL_PUBLIC_URL=http://127.0.0.1:8080',
        '-e',
        'ANVIL_API_PUBLIC_URL=https://127.0.0.1:6385',
        '-e',
        'ANVIL_AGENT_HEARTBEAT_TIMEOUT=10',
        '-e',
        'ANVIL_CHECK_PROVISION_STATE_INTERVAL=1',
        IMAGE,
      ]);
      expect(start.code, start.stderr).toBe(0);

      await waitHealthy(name);
      password = /password ([0-9a-f]{32}) \(shown this once\)/.exec(await logs())?.[1] ?? '';
      expect(password, await logs()).not.toBe('');
    }, 1_200_000);

    afterAll(async () => {
      await stopGroup(sim);
      await podman(['rm', '-f', '-t', '5', name]);
      spawnSync('ip', ['netns', 'del', ns]);
      if (volume) rmSync(volume, { recursive: true, force: true });
    }, 60_000);

    it('is healthy by its HEALTHCHECK, with tini as pid 1 and Anvil as uid 6385 holding CAP_NET_BIND_SERVICE alone', async () => {
      expect((await podman(['inspect', '--format', '{{.State.Health.Status}}', name])).stdout.trim()).toBe('healthy');
      const pid1 = Number((await podman(['inspect', '--format', '{{.State.Pid}}', name])).stdout.trim());
      expect(readFileSync(`/proc/${pid1}/comm`, 'utf8').trim()).toBe('tini');
      const status = readFileSync(`/proc/${servePid(pid1)}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual([String(UID), String(UID)]);
      const effective = BigInt(`0x${/^CapEff:\s+([0-9a-f]+)/m.exec(status)?.[1] ?? ''}`);
      expect(effective).toBe(1n << BigInt(CAP_NET_BIND_SERVICE));
      expect((await podman(['exec', name, 'id', '-u'])).stdout.trim()).toBe(String(UID));
    });

    it('made a self-signed certificate and an htpasswd in the data volume, readable by its user alone', async () => {
      const mode = (file: string) => statSync(join(volume, file)).mode & 0o777;
      expect(mode('tls/tls.key')).toBe(0o600);
      expect(mode('htpasswd')).toBe(0o600);
      expect(statSync(join(volume, 'htpasswd')).uid).toBe(UID);
      expect(readFileSync(join(volume, 'htpasswd'), 'utf8')).toMatch(/^admin:\$2y\$12\$/);
      const text = await run([
        'openssl',
        'x509',
        '-in',
        join(volume, 'tls/tls.crt'),
        '-noout',
        '-ext',
        'subjectAltName',
      ]);
      expect(text.stdout).toMatch(/IP Address:127\.0\.0\.1/);
      expect(await logs()).toContain('anvil-init: TLS: made a self-signed certificate /var/lib/anvil/tls/tls.crt');
    });

    it('answers /healthz over HTTPS, verified against the certificate it made', async () => {
      const res = await curl(['https://127.0.0.1:6385/healthz']);
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toEqual({ status: 'ok' });
      // Plain HTTP to the API is not served.
      expect((await inNs(['curl', '-sS', '--max-time', '5', 'http://127.0.0.1:6385/healthz'])).stdout).not.toContain(
        '"ok"',
      );
    });

    it('refuses GET /v1/nodes without credentials (401) and with a wrong password, and answers the generated admin', async () => {
      const status = (args: string[]) =>
        curl(['-o', '/dev/null', '-w', '%{http_code}', ...args, 'https://127.0.0.1:6385/v1/nodes']);
      expect((await status([])).stdout).toBe('401');
      expect((await status(['-u', 'admin:wrong'])).stdout).toBe('401');
      const ok = await curl(['-u', `admin:${password}`, 'https://127.0.0.1:6385/v1/nodes']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toEqual({ nodes: [] });
    });

    it("serves Debian's undionly.kpxe over TFTP on port 69, bound by the unprivileged user", async () => {
      // Ports below 1024 are privileged in this namespace: binding 69 took the file capability on node.
      expect((await inNs(['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'])).stdout.trim()).toBe('1024');
      const out = mkdtempSync(join(tmpdir(), 'anvil-container-tftp-'));
      try {
        const get = await inNs([
          'tftp',
          '-m',
          'binary',
          '127.0.0.1',
          '69',
          '-c',
          'get',
          'undionly.kpxe',
          join(out, 'u'),
        ]);
        expect(get.code, get.stdout + get.stderr).toBe(0);
        const inImage = await podman(['exec', name, 'sha256sum', '/usr/lib/ipxe/undionly.kpxe']);
        expect(sha256(readFileSync(join(out, 'u')))).toBe(inImage.stdout.split(' ')[0]);
        expect(statSync(join(out, 'u')).size).toBeGreaterThan(60_000);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    it('reloads its TLS certificate on SIGHUP (tini passes it on) and keeps serving', async () => {
      const kill = await podman(['kill', '--signal', 'HUP', name]);
      expect(kill.code, kill.stderr).toBe(0);
      const deadline = Date.now() + 10_000;
      while (!(await logs()).includes('"why":"SIGHUP","msg":"TLS certificate reloaded"')) {
        if (Date.now() > deadline) throw new Error(`no reload logged:\n${tail(await logs())}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((await curl(['https://127.0.0.1:6385/healthz'])).code).toBe(0);
    });

    it('cleans a simulated host that network-boots from it: TFTP, the iPXE script, the agent over HTTPS', async () => {
      // anvil-sim in the container's namespace: a Redfish BMC on 127.0.0.1:8000, hosts booting from Anvil's
      // TFTP (69) and HTTP (8080), agents that trust the certificate anvil-init made.
      const manifest = join(volume, 'sim.json');
      sim = spawn(
        'ip',
        [
          'netns',
          'exec',
          ns,
          process.execPath,
          '--import',
          'tsx',
          'sim/cli.ts',
          '--hosts',
          '1',
          '--redfish-port',
          '8000',
          '--ipmi-base-port',
          '0',
          '--manifest',
          manifest,
          '--boot-http',
          'http://127.0.0.1:8080',
          '--boot-tftp',
          '127.0.0.1:69',
          '--api-ca',
          join(volume, 'tls/tls.crt'),
          '--heartbeat-interval-ms',
          '300',
        ],
        { cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      sim.stdout!.on('data', (d: Buffer) => (simLog += d.toString()));
      sim.stderr!.on('data', (d: Buffer) => (simLog += d.toString()));
      const deadline = Date.now() + 60_000;
      while (!existsSync(manifest) || !simLog.includes('anvil-sim:')) {
        if (sim.exitCode !== null || Date.now() > deadline) throw new Error(`anvil-sim did not start:\n${simLog}`);
        await new Promise((r) => setTimeout(r, 200));
      }

      // The manifest holds BMC passwords: the sim writes it for its own user; the CLI in the container reads it.
      chownSync(manifest, UID, UID);
      const enroll = await anvil(['enroll', '-f', '/var/lib/anvil/sim.json']);
      expect(enroll.code, enroll.stdout + enroll.stderr).toBe(0);
      const set = await anvil([
        'node',
        'set',
        'sim-0',
        '--driver-info',
        'deploy_kernel=ipa.kernel',
        '--driver-info',
        'deploy_ramdisk=ipa.initramfs',
      ]);
      expect(set.code, set.stderr).toBe(0);
      const manage = await anvil(['node', 'manage', 'sim-0', '--wait', '60'], 90_000);
      expect(manage.code, manage.stdout + manage.stderr).toBe(0);
      // Automated cleaning: power on from the network, the agent looks the node up and erases the disks.
      const provide = await anvil(['node', 'provide', 'sim-0', '--wait', '120'], 150_000);
      expect(provide.code, `${provide.stdout}${provide.stderr}\n${tail(await logs())}\n${tail(simLog)}`).toBe(0);

      const node = JSON.parse((await anvil(['-o', 'json', 'node', 'show', 'sim-0'])).stdout);
      expect(node).toMatchObject({ provision_state: 'available', last_error: null });
      const host = JSON.parse((await inNs(['curl', '-sS', 'http://127.0.0.1:8000/sim/v1/hosts/sim-0'])).stdout);
      const steps = (host.bootSteps as { kind: string; source: string; outcome: string }[]).map(
        (s) => `${s.kind} ${s.source} ${s.outcome}`,
      );
      expect(steps).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^tftp tftp:\/\/127\.0\.0\.1:69\/(ipxe\.efi|undionly\.kpxe|snponly\.efi) ok$/),
          expect.stringMatching(/^script http:\/\/127\.0\.0\.1:8080\/boot\/52:54:00:[0-9a-f:]+\.ipxe ok$/),
          'kernel http://127.0.0.1:8080/boot-files/ipa.kernel ok',
          'initrd http://127.0.0.1:8080/boot-files/ipa.initramfs ok',
          'lookup https://127.0.0.1:6385/v1/lookup ok',
        ]),
      );
    });
  },
);

// Where no PostgreSQL answers, one loud line and this suite is skipped (a failure under CI=true), as for every DB suite.
const havePostgres = ready && (await postgresAvailable());

describe.skipIf(!havePostgres)(
  'the image on the host network against PostgreSQL, as docker-compose.yml runs it',
  () => {
    const name = `anvil-interop-${process.pid}-host`;
    const password = 'given-in-compose-env';
    let volume = '';
    let db: TestDatabase | undefined;
    let apiPort = 0;
    let httpPort = 0;
    let tftpPort = 0;
    const curl = (args: string[]): Promise<Run> =>
      run(['curl', '-sS', '--max-time', '10', '--cacert', join(volume, 'tls/tls.crt'), ...args]);
    const api = (path: string): string => `https://127.0.0.1:${apiPort}${path}`;

    beforeAll(async () => {
      await buildImages();
      db = await createTestDatabase('postgres');
      volume = dataVolume();
      apiPort = await freePort('tcp');
      httpPort = await freePort('tcp');
      tftpPort = await freePort('udp');
      const start = await podman([
        'run',
        '-d',
        '--name',
        name,
        '--label',
        LABEL,
        '--network',
        'host',
        ...ulimits(),
        '-v',
        `${volume}:/var/lib/anvil`,
        '-e',
        `ANVIL_DATABASE_URL=${db.url}`,
        '-e',
        `ANVIL_SECRET_KEY=${'d8'.repeat(32)}`,
        // The compose file's settings, but on loopback and free ports: a test must not take the host's 6385, 8080 or 69.
        '-e',
        'ANVIL_API_HOST=127.0.0.1',
        '-e',
        `ANVIL_API_PORT=${apiPort}`,
        '-e',
        `ANVIL_HTTP_PORT=${httpPort}`,
        '-e',
        `ANVIL_TFTP_PORT=${tftpPort}`,
        '-e',
        `ANVIL_PUBLIC_URL=http://127.0.0.1:${httpPort}`,
        '-e',
        'ANVIL_INIT_USER=operator-one',
        '-e',
        `ANVIL_INIT_PASSWORD=${password}`,
        '-e',
        'ANVIL_INIT_TLS_SAN=DNS:anvil.example.org,IP:192.0.2.10',
        IMAGE,
      ]);
      expect(start.code, start.stderr).toBe(0);
      await waitHealthy(name);
    }, 1_200_000);

    afterAll(async () => {
      await podman(['rm', '-f', '-t', '5', name]);
      await db?.drop();
      if (volume) rmSync(volume, { recursive: true, force: true });
    }, 60_000);

    it('takes the first password from the environment without printing it, and the extra names into its certificate', async () => {
      const logs = await logsOf(name);
      expect(logs).toContain('with user operator-one, the password from ANVIL_INIT_PASSWORD');
      expect(logs).not.toContain(password);
      const san = await run([
        'openssl',
        'x509',
        '-in',
        join(volume, 'tls/tls.crt'),
        '-noout',
        '-ext',
        'subjectAltName',
      ]);
      expect(san.stdout).toMatch(/DNS:anvil\.example\.org/);
      expect(san.stdout).toMatch(/IP Address:192\.0\.2\.10/);
    });

    it("answers on the host's loopback over HTTPS, the first user as admin, and keeps its nodes in PostgreSQL", async () => {
      expect(JSON.parse((await curl([api('/healthz')])).stdout)).toEqual({ status: 'ok' });
      expect((await curl(['-o', '/dev/null', '-w', '%{http_code}', api('/v1/nodes')])).stdout).toBe('401');
      const created = await curl([
        '-u',
        `operator-one:${password}`,
        '-H',
        'Content-Type: application/json',
        '-H',
        'X-OpenStack-Ironic-API-Version: 1.78',
        '-d',
        JSON.stringify({ name: 'compose-demo', driver: 'fake-hardware' }),
        '-w',
        '\n%{http_code}',
        api('/v1/nodes'),
      ]);
      expect(created.stdout.split('\n').at(-1), created.stdout).toBe('201');
      // Role admin, from anvil-init (ANVIL_AUTH_ROLES unset): the user list of tokens is for admins only.
      const admin = await curl([
        '-u',
        `operator-one:${password}`,
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        api('/v1/anvil/tokens'),
      ]);
      expect(admin.stdout).toBe('200');

      const client = new pg.Client({ connectionString: db!.url });
      await client.connect();
      try {
        const rows = await client.query<{ name: string }>('select name from nodes');
        expect(rows.rows.map((r) => r.name)).toEqual(['compose-demo']);
      } finally {
        await client.end();
      }
    });

    it('serves TFTP on the port it was given', async () => {
      const out = mkdtempSync(join(tmpdir(), 'anvil-container-tftp-'));
      try {
        const get = await run([
          'tftp',
          '-m',
          'binary',
          '127.0.0.1',
          String(tftpPort),
          '-c',
          'get',
          'undionly.kpxe',
          join(out, 'u'),
        ]);
        expect(get.code, get.stdout + get.stderr).toBe(0);
        expect(statSync(join(out, 'u')).size).toBeGreaterThan(60_000);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  },
);
