/**
 * The DHCP server's I/O: sockets on one named interface, backend lookups,
 * lease bookkeeping for the discovery range; every decision is made by the
 * pure handlers.
 *
 * Binding to an interface. Linux scopes a socket to a device with
 * SO_BINDTODEVICE (or reports the receiving interface with IP_PKTINFO, as
 * dnsmasq does); node's dgram exposes neither. What works with plain
 * bind(2), and what this server does on each port:
 *  - a socket bound to the interface's own address receives the unicast
 *    traffic (relays, RENEWING clients, port 4011 boot server requests)
 *    and sends every reply. Linux routes a datagram to 255.255.255.255 from
 *    a socket bound to a local address out of the device that owns that
 *    address (the "limited broadcast via the source address" rule in
 *    ip_route_output_key), so broadcast replies leave by the named
 *    interface and no other, even on a host with a default route elsewhere;
 *  - a second socket (SO_REUSEADDR) bound to 255.255.255.255 receives the
 *    clients' limited broadcasts. Unlike a 0.0.0.0 bind it does not also
 *    catch unicast sent to the host's other addresses. It cannot tell which
 *    interface a broadcast came in on, so a host with several interfaces
 *    hears broadcasts from all of them: full mode only hands out an address
 *    that lies in the subnet of the interface (or of the relay in giaddr),
 *    and replies only ever leave by the named interface. Where even that is
 *    too much, run the pxe role in its own network namespace or container.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { BootBackend, BootHost } from '../backend.js';
import { DEFAULT_BOOT_FILES, type BootFileConfig } from './boot-file.js';
import { DhcpConfigError, DhcpDecodeError, DhcpEncodeError } from './errors.js';
import { handleFull, type FullModeConfig } from './full-handler.js';
import { LeaseBook, type DynamicRange } from './dynamic-leases.js';
import { isIpv4, LIMITED_BROADCAST } from './ipv4.js';
import type { DhcpMessageType } from './options.js';
import type { IgnoreReason, Outcome } from './outcome.js';
import { clientMac, decodeMessage, encodeMessage, type DhcpMessage } from './packet.js';
import { handleProxy, type ProxyModeConfig } from './proxy-handler.js';
import type { ReplyDestination } from './reply.js';

export type DhcpMode = 'full' | 'proxy';

export interface DhcpPorts {
  /** The DHCP server port (RFC 2131 §4.1: 67); relays are answered on it too. */
  server: number;
  /** The DHCP client port (68). */
  client: number;
  /** The PXE boot server port (PXE spec 2.1 §2.5: 4011); proxy mode only. */
  pxe: number;
}

export const DEFAULT_PORTS: DhcpPorts = { server: 67, client: 68, pxe: 4011 };

export type DhcpServerEvent =
  | { kind: 'received'; port: 'dhcp' | 'pxe'; messageType: DhcpMessageType | null; mac: string | null }
  | { kind: 'replied'; messageType: DhcpMessageType; mac: string; destination: ReplyDestination }
  | { kind: 'ignored'; reason: IgnoreReason; messageType: DhcpMessageType | null; mac: string | null }
  | { kind: 'malformed'; error: DhcpDecodeError }
  | { kind: 'failed'; stage: 'backend' | 'encode' | 'send' | 'socket' | 'handler'; error: Error };

/** Metrics hook: services/ turns these into prom-client counters; pxe/ has no metrics library. */
export type DhcpObserver = (event: DhcpServerEvent) => void;

export interface DhcpServerOptions {
  mode: DhcpMode;
  /** The network interface to serve, e.g. `eth1`. */
  interface: string;
  /** One of the interface's IPv4 addresses (server identifier, option 54); its first one when absent. */
  serverIp?: string;
  backend: BootBackend;
  /** Boot files and the iPXE script URL; the TFTP server defaults to serverIp. */
  boot: Partial<BootFileConfig> & Pick<BootFileConfig, 'ipxeScriptUrl'>;
  /** Seconds, for static leases without their own; full mode. Default 3600. */
  defaultLeaseTime?: number;
  /** Full mode: the discovery range for unknown hosts. Absent: unknown hosts are ignored. */
  discoveryRange?: DynamicRange;
  /** Proxy mode: answer PXE clients the backend does not know. Default false. */
  answerUnknown?: boolean;
  ports?: Partial<DhcpPorts>;
  observer?: DhcpObserver;
  /** Epoch milliseconds; injectable for lease-expiry tests. */
  now?: () => number;
}

export interface DhcpServer {
  readonly mode: DhcpMode;
  readonly serverIp: string;
  readonly ports: DhcpPorts;
  close(): Promise<void>;
}

/** Candidate discovery addresses checked against the backend per DISCOVER before giving up. */
const MAX_CANDIDATE_PROBES = 32;
/** IPv4 + UDP headers, which RFC 2132 §9.10's maximum message size includes. */
const IP_UDP_HEADERS = 28;
/** RFC 2131 §2: every client must accept 576-octet datagrams. */
const DEFAULT_MAX_DATAGRAM = 576;

export async function startDhcpServer(options: DhcpServerOptions): Promise<DhcpServer> {
  const serverIp = interfaceAddress(options.interface, options.serverIp);
  const ports: DhcpPorts = { ...DEFAULT_PORTS, ...options.ports };
  const observe = safeObserver(options.observer);
  const now = options.now ?? Date.now;
  const boot: BootFileConfig = { ...DEFAULT_BOOT_FILES, tftpServer: serverIp, ...options.boot };
  const book = options.mode === 'full' && options.discoveryRange ? new LeaseBook(options.discoveryRange) : null;
  const fullConfig: FullModeConfig = {
    serverIp,
    defaultLeaseTime: options.defaultLeaseTime ?? 3600,
    boot,
    dynamic: book?.range ?? null,
  };
  const proxyConfig: ProxyModeConfig = { serverIp, boot, answerUnknown: options.answerUnknown ?? false };
  const { backend } = options;
  const serialize = serializer();

  const sockets: Socket[] = [];
  const senders = new Map<'dhcp' | 'pxe', Socket>();

  async function decide(request: DhcpMessage, port: 'dhcp' | 'pxe', rinfo: RemoteInfo): Promise<Outcome | null> {
    const mac = clientMac(request);
    let host: BootHost | null = null;
    if (mac !== null && request.op === 'request') {
      try {
        host = await backend.getByMac(mac);
      } catch (error) {
        observe({ kind: 'failed', stage: 'backend', error: asError(error) });
        return null;
      }
    }
    if (options.mode === 'proxy') {
      return handleProxy({ request, host, port, source: { address: rinfo.address, port: rinfo.port } }, proxyConfig);
    }
    if (!book || mac === null || host?.lease)
      return handleFull({ request, host, held: null, candidate: null }, fullConfig);
    // Discovery-range decisions run one at a time, so two clients are never offered the same address.
    return serialize(async () => {
      const held = book.held(mac, now());
      const candidate = !held && request.options.messageType === 'discover' ? await freeCandidate(book, mac) : null;
      const outcome = handleFull({ request, host, held, candidate }, fullConfig);
      if (outcome.lease) book.apply(outcome.lease, now());
      return outcome;
    });
  }

  /** The first discovery address that no enrolled host holds as its static lease. */
  async function freeCandidate(leases: LeaseBook, mac: string): Promise<string | null> {
    let probes = 0;
    for (const address of leases.candidates(mac, now())) {
      if (++probes > MAX_CANDIDATE_PROBES) return null;
      if ((await backend.getByIp(address)) === null) return address;
    }
    return null;
  }

  async function onDatagram(port: 'dhcp' | 'pxe', datagram: Buffer, rinfo: RemoteInfo): Promise<void> {
    let request: DhcpMessage;
    try {
      request = decodeMessage(datagram);
    } catch (error) {
      if (error instanceof DhcpDecodeError) observe({ kind: 'malformed', error });
      else observe({ kind: 'failed', stage: 'handler', error: asError(error) });
      return;
    }
    const mac = clientMac(request);
    const messageType = request.options.messageType ?? null;
    observe({ kind: 'received', port, messageType, mac });
    const outcome = await decide(request, port, rinfo);
    if (!outcome) return;
    if (outcome.action === 'ignore') observe({ kind: 'ignored', reason: outcome.reason, messageType, mac });
    else await send(port, request, outcome.reply.message, outcome.reply.destination);
    if (outcome.served !== null && mac !== null) {
      try {
        await backend.recordServed(mac, { protocol: 'dhcp', detail: outcome.served });
      } catch (error) {
        observe({ kind: 'failed', stage: 'backend', error: asError(error) });
      }
    }
  }

  async function send(
    port: 'dhcp' | 'pxe',
    request: DhcpMessage,
    reply: DhcpMessage,
    destination: ReplyDestination,
  ): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = encodeMessage(reply);
      const limit = (request.options.maxMessageSize ?? DEFAULT_MAX_DATAGRAM) - IP_UDP_HEADERS;
      if (bytes.length > limit)
        throw new DhcpEncodeError(`reply of ${bytes.length} octets exceeds the client's ${limit}`);
    } catch (error) {
      observe({ kind: 'failed', stage: 'encode', error: asError(error) });
      return;
    }
    const [address, toPort] = target(destination, ports);
    const socket = senders.get(port)!;
    try {
      await new Promise<void>((resolve, reject) =>
        socket.send(bytes, toPort, address, (e) => (e ? reject(e) : resolve())),
      );
      observe({ kind: 'replied', messageType: reply.options.messageType!, mac: clientMac(reply) ?? '', destination });
    } catch (error) {
      observe({ kind: 'failed', stage: 'send', error: asError(error) });
    }
  }

  const listen = async (port: 'dhcp' | 'pxe', number: number, address: string): Promise<Socket> => {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('error', (error) => observe({ kind: 'failed', stage: 'socket', error }));
    socket.on('message', (datagram, rinfo) => {
      onDatagram(port, datagram, rinfo).catch((error: unknown) =>
        observe({ kind: 'failed', stage: 'handler', error: asError(error) }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(number, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    sockets.push(socket);
    return socket;
  };

  try {
    const dhcp = await listen('dhcp', ports.server, serverIp);
    dhcp.setBroadcast(true);
    senders.set('dhcp', dhcp);
    await listen('dhcp', ports.server, LIMITED_BROADCAST);
    if (options.mode === 'proxy') {
      // PXE spec 2.1 §2.5: boot server requests are unicast to the proxy's address on 4011.
      const pxe = await listen('pxe', ports.pxe, serverIp);
      pxe.setBroadcast(true);
      senders.set('pxe', pxe);
    }
  } catch (error) {
    await closeAll(sockets);
    throw error;
  }

  return {
    mode: options.mode,
    serverIp,
    ports,
    close: () => closeAll(sockets),
  };
}

function target(destination: ReplyDestination, ports: DhcpPorts): [string, number] {
  switch (destination.kind) {
    case 'relay':
      return [destination.address, ports.server];
    case 'client':
      return [destination.address, ports.client];
    case 'broadcast':
      return [LIMITED_BROADCAST, ports.client];
    case 'source':
      return [destination.address, destination.port];
  }
}

/** The interface's IPv4 address to serve on: the one asked for (which must be on it), else its first. */
function interfaceAddress(name: string, wanted: string | undefined): string {
  const addresses = (networkInterfaces()[name] ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address);
  if (addresses.length === 0) throw new DhcpConfigError(`interface ${name} does not exist or has no IPv4 address`);
  if (wanted === undefined) return addresses[0]!;
  if (!isIpv4(wanted) || !addresses.includes(wanted)) {
    throw new DhcpConfigError(`${wanted} is not an address of ${name} (${addresses.join(', ')})`);
  }
  return wanted;
}

function serializer(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** An observer that throws must not take the server down with it. */
function safeObserver(observer: DhcpObserver | undefined): DhcpObserver {
  return (event) => {
    try {
      observer?.(event);
    } catch {
      // The observer's failure is its own; the server keeps serving.
    }
  };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

async function closeAll(sockets: Socket[]): Promise<void> {
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
}
