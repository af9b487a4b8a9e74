// The DhcpClient of hosts whose NICs are real interfaces (a veth in a
// network namespace, carrying the host's MAC): busybox udhcpc on the
// interface that has the host's MAC puts the exchange on the wire as a
// client does (raw socket, from 0.0.0.0, chaddr the interface's MAC, the
// broadcast flag set), and its hook script reports the ACK; the sim then
// puts the address on the interface, so TFTP, HTTP and the agent really
// come from the address DHCP gave. A Node datagram socket could not do
// that part: with no address yet it has no route for the broadcast, and
// would send from another interface's address if it had one.
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { prefixOfMask, type DhcpAsk, type DhcpClient, type DhcpLease } from './dhcp-client.js';

const run = promisify(execFile);

/** Marks the hook's lines on udhcpc's stdout. */
const LEASE_LINE = 'anvil-sim-lease ';

/** udhcpc runs this with `deconfig`, `bound`, `renew`, `leasefail` or `nak`; only `bound` matters to `-q`. */
const HOOK = `#!/bin/sh
# anvil-sim's udhcpc hook: says what the ACK carried; the sim configures the address.
[ "$1" = bound ] || exit 0
for name in ip subnet mask router serverid siaddr tftp boot_file bootfile hostname; do
  eval "value=\\\${$name}"
  printf '${LEASE_LINE}%s=%s\\n' "$name" "$value"
done
`;

export interface UdhcpcOptions {
  /** The program (and its first arguments) that is udhcpc; default `busybox udhcpc`. */
  command?: readonly string[];
  /** DISCOVERs sent before giving up (udhcpc -t); default 4. */
  discovers?: number;
  /** Seconds between them (-T); default 1. */
  pauseSeconds?: number;
  /** The interface carrying `mac`; default the one whose /sys/class/net/IF/address it is. */
  interfaceOf?: (mac: string) => Promise<string | null>;
  /** Puts the address on the interface; default `ip addr` (flush, then add) unless it is there already. */
  configure?: (ifname: string, address: string, prefix: number) => Promise<void>;
}

export interface Udhcpc {
  client: DhcpClient;
  /** Removes the hook script. */
  close(): Promise<void>;
}

export async function startUdhcpc(options: UdhcpcOptions = {}): Promise<Udhcpc> {
  const [program = 'busybox', ...first] = options.command ?? ['busybox', 'udhcpc'];
  const discovers = options.discovers ?? 4;
  const pause = options.pauseSeconds ?? 1;
  const interfaceOf = options.interfaceOf ?? interfaceWithMac;
  const configure = options.configure ?? configureAddress;
  const dir = await mkdtemp(join(tmpdir(), 'anvil-sim-udhcpc-'));
  const hook = join(dir, 'hook.sh');
  await writeFile(hook, HOOK);
  await chmod(hook, 0o700);

  const client: DhcpClient = async (ask) => {
    const ifname = await interfaceOf(ask.mac);
    if (ifname === null) throw new Error(`no network interface carries ${ask.mac}`);
    const args = [...first, ...udhcpcArgs(ask, ifname, hook, discovers, pause)];
    const output = await runClient(program, args, ask.signal, (discovers * pause + 10) * 1000);
    const lease = parseLease(output.stdout, ifname);
    if (lease === null)
      throw new Error(`no lease on ${ifname} after ${discovers} DISCOVERs: ${lastLine(output.stderr) || 'no answer'}`);
    await configure(ifname, lease.address, lease.prefix);
    return lease;
  };
  return { client, close: () => rm(dir, { recursive: true, force: true }) };
}

/** udhcpc's command line for one exchange: foreground, quit once bound, give up after `discovers`. */
export function udhcpcArgs(ask: DhcpAsk, ifname: string, hook: string, discovers: number, pause: number): string[] {
  return [
    '-i',
    ifname,
    '-f',
    '-q',
    '-n',
    '-B',
    '-t',
    String(discovers),
    '-T',
    String(pause),
    '-A',
    '1',
    '-s',
    hook,
    '-V',
    ask.vendorClass,
    '-O',
    '66',
    '-O',
    '67',
    '-x',
    `0x5d:${ask.clientArch.toString(16).padStart(4, '0')}`,
    // Option 77 as iPXE sends it: the bare text, no RFC 3004 length prefix.
    ...(ask.userClass === null ? [] : ['-x', `0x4d:${Buffer.from(ask.userClass, 'latin1').toString('hex')}`]),
  ];
}

/** The lease the hook reported on `stdout`, or null when it reported none. */
export function parseLease(stdout: string, ifname: string): DhcpLease | null {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(LEASE_LINE)) continue;
    const pair = line.slice(LEASE_LINE.length);
    const eq = pair.indexOf('=');
    if (eq > 0) values.set(pair.slice(0, eq), pair.slice(eq + 1).trim());
  }
  const value = (name: string): string | null => {
    const v = values.get(name);
    return v === undefined || v === '' ? null : v;
  };
  const address = value('ip');
  if (address === null) return null;
  const mask = value('mask');
  const subnet = value('subnet');
  const prefix = mask !== null && /^\d+$/.test(mask) ? Number(mask) : subnet === null ? 32 : prefixOfMask(subnet);
  const siaddr = value('siaddr');
  return {
    address,
    prefix: prefix ?? 32,
    router: value('router')?.split(/\s+/)[0] ?? null,
    serverId: value('serverid'),
    nextServer: siaddr !== null && siaddr !== '0.0.0.0' ? siaddr : value('tftp'),
    bootFile: value('bootfile') ?? value('boot_file'),
    hostname: value('hostname'),
    interface: ifname,
  };
}

async function runClient(
  program: string,
  args: string[],
  signal: AbortSignal,
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], signal, timeout: timeoutMs });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', () => resolve());
  });
  signal.throwIfAborted();
  return { stdout, stderr };
}

/** The interface whose hardware address is `mac`, as the kernel lists them. */
async function interfaceWithMac(mac: string): Promise<string | null> {
  const root = '/sys/class/net';
  for (const name of await readdir(root).catch(() => [])) {
    const address = await readFile(join(root, name, 'address'), 'utf8').catch(() => '');
    if (address.trim().toLowerCase() === mac.toLowerCase()) return name;
  }
  return null;
}

/** A new lease replaces whatever the interface had; the same one again changes nothing. */
async function configureAddress(ifname: string, address: string, prefix: number): Promise<void> {
  const current = networkInterfaces()[ifname] ?? [];
  if (current.some((a) => a.family === 'IPv4' && a.address === address && a.cidr === `${address}/${prefix}`)) return;
  await run('ip', ['-4', 'addr', 'flush', 'dev', ifname], { timeout: 5_000 });
  await run('ip', ['addr', 'add', `${address}/${prefix}`, 'brd', '+', 'dev', ifname], { timeout: 5_000 });
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}
