import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { UsageError } from '../errors.js';

/** The ports a demo listens on, each with the flag that moves it. */
export interface DemoPorts {
  api: number;
  bootHttp: number;
  tftp: number;
  redfish: number;
  /** Host i answers IPMI on this port + i. */
  ipmiBase: number;
}

interface PortUse {
  port: number;
  protocol: 'tcp' | 'udp';
  what: string;
  flag: string;
}

/**
 * Open files a host costs the processes (its IPMI socket, its agent's
 * listener, the connections between Anvil, BMC and agent) and what each
 * process needs besides: an estimate on the generous side, so a demo that
 * passes the check does not run out of descriptors half way.
 */
const FILES_PER_HOST = 12;
const FILES_BASE = 256;

/**
 * What a demo needs before it makes or starts anything: enough open files
 * and free ports (its directory is checked by making it). Throws a
 * UsageError whose one line says what to change.
 */
export async function preflight(options: { hosts: number; ports: DemoPorts }): Promise<void> {
  checkOpenFiles(options.hosts);
  await checkPorts(options.hosts, options.ports);
}

/** The soft limit on open files, from /proc where there is one; null where it cannot be read (not Linux). */
export function openFileLimit(limits = '/proc/self/limits'): number | null {
  let text: string;
  try {
    text = readFileSync(limits, 'utf8');
  } catch {
    return null;
  }
  const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
  if (soft === undefined || soft === 'unlimited') return null;
  return Number(soft);
}

function checkOpenFiles(hosts: number): void {
  const limit = openFileLimit();
  const needed = FILES_BASE + FILES_PER_HOST * hosts;
  if (limit === null || needed <= limit) return;
  const most = Math.max(0, Math.floor((limit - FILES_BASE) / FILES_PER_HOST));
  throw new UsageError(
    `${hosts} hosts need about ${needed} open files and the limit is ${limit}: raise it (ulimit -n ${needed}) or ask for at most --hosts ${most}`,
  );
}

function portsOf(hosts: number, ports: DemoPorts): PortUse[] {
  const uses: PortUse[] = [
    { port: ports.api, protocol: 'tcp', what: "Anvil's API", flag: '--api-port' },
    { port: ports.bootHttp, protocol: 'tcp', what: "Anvil's HTTP boot server", flag: '--boot-http-port' },
    { port: ports.tftp, protocol: 'udp', what: "Anvil's TFTP server", flag: '--tftp-port' },
    { port: ports.redfish, protocol: 'tcp', what: "the sim's Redfish endpoint", flag: '--redfish-port' },
  ];
  for (let i = 0; i < hosts; i++)
    uses.push({ port: ports.ipmiBase + i, protocol: 'udp', what: `host ${i}'s IPMI`, flag: '--ipmi-base-port' });
  return uses;
}

async function checkPorts(hosts: number, ports: DemoPorts): Promise<void> {
  const uses = portsOf(hosts, ports);
  const highest = ports.ipmiBase + hosts - 1;
  if (highest > 65535)
    throw new UsageError(`IPMI ports ${ports.ipmiBase}-${highest} pass 65535: choose a lower --ipmi-base-port`);
  const seen = new Map<string, PortUse>();
  for (const use of uses) {
    const key = `${use.protocol}/${use.port}`;
    const other = seen.get(key);
    if (other !== undefined)
      throw new UsageError(`${use.what} and ${other.what} would share ${key}: change ${use.flag} or ${other.flag}`);
    seen.set(key, use);
  }
  const taken: PortUse[] = [];
  // In batches: a large fleet's IPMI range is thousands of sockets.
  for (let i = 0; i < uses.length; i += 200) {
    const batch = uses.slice(i, i + 200);
    const free = await Promise.all(batch.map((use) => isFree(use)));
    batch.forEach((use, j) => {
      if (!free[j]) taken.push(use);
    });
  }
  if (taken.length === 0) return;
  const first = taken[0]!;
  const more = taken.length > 1 ? ` (and ${taken.length - 1} more)` : '';
  throw new UsageError(
    `${first.protocol.toUpperCase()} port ${first.port} (${first.what}) is in use${more}: choose another with ${first.flag}`,
  );
}

/** Whether this process could listen on the port on loopback now; released at once. */
function isFree(use: PortUse): Promise<boolean> {
  return new Promise((resolve) => {
    if (use.protocol === 'tcp') {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(use.port, '127.0.0.1', () => server.close(() => resolve(true)));
      return;
    }
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(use.port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}
