// Network namespaces for the DHCP interop tests and benchmark: a private
// Ethernet segment (a bridge with forward_delay 0 in its own namespace) and
// one namespace per party (Anvil, the site's dnsmasq, clients), joined by
// veth pairs created directly in their namespaces, so nothing touches the
// host's own network. Needs root and `ip netns`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RunnerConfig } from './dhcp-anvil-runner.js';

export function ip(...args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Whether this process may create network namespaces; the reason when not. */
export function netnsProblem(): string | null {
  if (spawnSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).status !== 0)
    return 'the ip program (iproute2) is missing';
  const name = `anvil-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0)
    return `ip netns add failed: ${add.stderr.trim() || `exit ${add.status}`} (needs root and CAP_SYS_ADMIN)`;
  spawnSync('ip', ['netns', 'del', name]);
  return null;
}

/** Like requireTool: skip loudly without network namespaces, fail under CI=true. */
export function requireNetns(): boolean {
  const problem = netnsProblem();
  if (problem === null) return true;
  const line = `!!! interop: network namespaces are unavailable: ${problem}. The test is SKIPPED`;
  if (process.env.CI === 'true') throw new Error(`${line} — refused under CI=true`);
  console.warn(line);
  return false;
}

export class Lan {
  readonly switchNs: string;
  private readonly namespaces: string[] = [];
  private ports = 0;

  /** `tag` keeps names unique between runs; it must be short (interface names are at most 15 octets). */
  constructor(readonly tag: string) {
    this.switchNs = this.ns('sw');
    ip('-n', this.switchNs, 'link', 'add', 'br0', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0');
    ip('-n', this.switchNs, 'link', 'set', 'br0', 'up');
  }

  /** A new namespace with loopback up. */
  ns(role: string): string {
    const name = `anvil-${this.tag}-${role}`;
    ip('netns', 'add', name);
    this.namespaces.push(name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }

  /** Plugs a new interface in `ns` into the switch, with the given MAC and optional address (CIDR). */
  plug(ns: string, ifname: string, mac: string, cidr?: string): void {
    const port = `p${this.ports++}`;
    ip(
      'link',
      'add',
      ifname,
      'netns',
      ns,
      'address',
      mac,
      'type',
      'veth',
      'peer',
      'name',
      port,
      'netns',
      this.switchNs,
    );
    ip('-n', this.switchNs, 'link', 'set', port, 'master', 'br0', 'up');
    if (cidr) ip('-n', ns, 'addr', 'add', cidr, 'dev', ifname);
    ip('-n', ns, 'link', 'set', ifname, 'up');
  }

  /** Removes every namespace (and so every interface in them). Safe to call twice. */
  destroy(): void {
    for (const name of this.namespaces.splice(0).reverse()) spawnSync('ip', ['netns', 'del', name]);
  }
}

/** Deletes namespaces a crashed earlier run left behind. */
export function removeStaleNamespaces(prefix: string): void {
  for (const line of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n')) {
    const name = line.split(' ')[0];
    if (name?.startsWith(prefix)) spawnSync('ip', ['netns', 'del', name]);
  }
}

export interface RunnerLine {
  event: string;
  [key: string]: unknown;
}

/** Anvil's DHCP server running in `ns`, with what it has reported so far. */
export class AnvilInNs {
  readonly lines: RunnerLine[] = [];
  private constructor(
    private readonly child: ChildProcess,
    private readonly configDir: string,
  ) {}

  static async start(ns: string, config: RunnerConfig, cwd: string): Promise<AnvilInNs> {
    const configDir = mkdtempSync(join(tmpdir(), 'anvil-dhcp-runner-'));
    const configFile = join(configDir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/interop/dhcp-anvil-runner.ts', configFile],
      {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const anvil = new AnvilInNs(child, configDir);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        anvil.lines.push(JSON.parse(line) as RunnerLine);
      } catch {
        stderr += `${line}\n`;
      }
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`Anvil runner exited ${code}: ${stderr}`))),
    );
    try {
      await Promise.race([anvil.until((l) => l.event === 'ready', 60_000), exited]);
    } catch (error) {
      await anvil.stop();
      throw error;
    }
    return anvil;
  }

  async until(match: (line: RunnerLine) => boolean, ms: number): Promise<RunnerLine> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`timed out after ${ms} ms; runner said: ${JSON.stringify(this.lines)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  served(mac: string): string[] {
    return this.lines.filter((l) => l.event === 'served' && l.mac === mac).map((l) => String(l.detail));
  }

  async stop(): Promise<void> {
    rmSync(this.configDir, { recursive: true, force: true });
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}
