// What provision-netns.test.ts stands on: programs run inside network
// namespaces with everything they print kept (the secret checks read all
// of it), a private CA made with openssl, HTTP through the relay's Unix
// sockets (provision-netns-relay.ts) with every answer kept, and packet
// counters in a namespace's own iptables.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, fetch } from 'undici';
import { makeServerCert, makeTestCa } from '../support/test-pki.js';
import { stopGroup } from './tools.js';

export const REPO = path.resolve(import.meta.dirname, '../..');

/** A program started with `ip netns exec NS ...`, leading its own process group. */
export class NsProcess {
  /** Every line it wrote, stdout and stderr, in order of arrival. */
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    ns: string,
    argv: string[],
    env: Record<string, string>,
  ) {
    this.child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      cwd: REPO,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/root', ...env },
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.lines.push(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.lines.push(line));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  text(): string {
    return this.lines.join('\n');
  }

  /** The first line `match` accepts, waiting up to `ms`; fails at once if the process ends first. */
  async waitFor(match: (line: string) => boolean, ms: number, what: string): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      if (!this.running || Date.now() > deadline)
        throw new Error(
          `${this.name}: ${this.running ? `no ${what} within ${ms} ms` : `exited before ${what}`}:\n${this.lines.slice(-40).join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM to the group, SIGKILL after 5 s; resolves once it is gone. */
  async stop(): Promise<void> {
    if (this.running) await stopGroup(this.child);
  }
}

/** pino's JSON lines of a process, the others skipped. */
export function jsonLines(lines: readonly string[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // Not JSON after all.
    }
  }
  return out;
}

export interface Pki {
  ca: string;
  cert: string;
  key: string;
}

/** A private CA and a server certificate for `ip` (an IP subjectAltName). */
export function makeCertificates(dir: string, ip: string): Pki {
  const ca = makeTestCa(dir, 'Anvil netns test CA');
  const { cert, key } = makeServerCert(dir, { name: 'api', ip, serial: '0x5eed12' });
  return { ca, cert, key };
}

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty or non-JSON body. */
  body: any;
  text: string;
}

/**
 * HTTP(S) to `origin` (an address inside the namespaces) over the relay's
 * Unix socket. The certificate is checked against `ca` and the origin's IP,
 * exactly as a client on the network would; every answer's text is kept.
 */
export class RelayedHttp {
  /** Every response body, for the secret checks. */
  readonly seen: string[] = [];
  private readonly dispatcher: Agent;
  private readonly authorization: string | null;

  constructor(
    socketPath: string,
    private readonly origin: string,
    options: { ca?: string; basic?: { user: string; password: string } } = {},
  ) {
    this.dispatcher = new Agent({ connect: { socketPath, ...(options.ca === undefined ? {} : { ca: options.ca }) } });
    this.authorization =
      options.basic === undefined
        ? null
        : `Basic ${Buffer.from(`${options.basic.user}:${options.basic.password}`).toString('base64')}`;
  }

  async request(method: string, urlPath: string, body?: unknown, version: string | null = '1.78'): Promise<Answer> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.authorization !== null) headers.Authorization = this.authorization;
    if (version !== null) headers['X-OpenStack-Ironic-API-Version'] = version;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.origin}${urlPath}`, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      dispatcher: this.dispatcher,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    this.seen.push(text);
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    return { status: res.status, headers: res.headers as unknown as Headers, body: parsed, text };
  }

  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }
}

/**
 * A chain in `ns`'s own iptables counting the TCP connections opened to
 * `port` (SYNs), one rule per source address and a last rule for any
 * other source: who opened connections, as Anvil's side of the wire saw it.
 */
export class SynCounter {
  private readonly chain: string;

  constructor(
    private readonly ns: string,
    port: number,
    private readonly sources: readonly string[],
  ) {
    this.chain = `SYN${port}`;
    const ipt = (...args: string[]) =>
      execFileSync('ip', ['netns', 'exec', ns, 'iptables', ...args], { stdio: 'pipe' });
    ipt('-N', this.chain);
    ipt('-A', 'INPUT', '-p', 'tcp', '--dport', String(port), '--syn', '-j', this.chain);
    for (const source of sources) ipt('-A', this.chain, '-s', `${source}/32`, '-j', 'RETURN');
    ipt('-A', this.chain, '-j', 'RETURN');
  }

  /** Connections opened per source; `other` for sources not listed. */
  read(): Record<string, number> {
    const r = spawnSync('ip', ['netns', 'exec', this.ns, 'iptables', '-L', this.chain, '-v', '-n', '-x'], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`iptables -L ${this.chain}: ${r.stderr}`);
    const counts: Record<string, number> = {};
    const rows = r.stdout
      .split('\n')
      .slice(2)
      .map((l) => l.trim().split(/\s+/))
      .filter((cols) => cols.length >= 8);
    rows.forEach((cols, i) => {
      const source = i < this.sources.length ? this.sources[i]! : 'other';
      counts[source] = Number(cols[0]);
    });
    return counts;
  }
}
