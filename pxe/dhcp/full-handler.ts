/**
 * Reservation mode (Tinkerbell smee's "reservation" handler): Anvil is the
 * network's DHCP server for the hosts it knows, handing each its static
 * lease from the backend, plus an optional discovery range (off unless
 * configured) for hosts it does not know yet. A pure function of
 * (request, host, lease state, config); the server does the I/O.
 */
import type { BootHost, StaticLease } from '../backend.js';
import { bootFields, chooseBoot, type BootFileConfig } from './boot-file.js';
import type { DynamicRange, HeldLease, LeaseChange } from './dynamic-leases.js';
import { prefixToMask, sameSubnet, ZERO_ADDRESS } from './ipv4.js';
import type { DhcpMessageType } from './options.js';
import type { DhcpMessage } from './packet.js';
import { clientRequest, ignore, servedLine, type Outcome } from './outcome.js';
import { addressed, replyTo } from './reply.js';

export interface FullModeConfig {
  serverIp: string;
  /** Seconds, for static leases that do not carry their own. */
  defaultLeaseTime: number;
  boot: BootFileConfig;
  /** The discovery range for unknown hosts; null (the default) ignores them. */
  dynamic: DynamicRange | null;
}

export interface FullModeInput {
  request: DhcpMessage;
  /** The backend's answer for the client's MAC. */
  host: BootHost | null;
  /** This client's discovery-range lease, if it holds one. */
  held: HeldLease | null;
  /** A free discovery-range address the server checked is not a backend host's, or null. */
  candidate: string | null;
}

/** The address a client may have and what comes with it. */
interface Grant {
  lease: StaticLease & { leaseTime: number };
  dynamic: boolean;
}

export function handleFull(input: FullModeInput, config: FullModeConfig): Outcome {
  const { request } = input;
  const client = clientRequest(request);
  if ('action' in client) return client;
  const { mac, type } = client;
  const grant = grantFor(input, config);

  switch (type) {
    case 'discover': {
      if (!grant) return ignore(input.host ? 'no-lease' : 'unknown-host');
      if (!onClientNetwork(request, grant.lease, config)) return ignore('wrong-network');
      const reply = withLease(request, 'offer', grant, mac, config, input.host);
      const change: LeaseChange | null = grant.dynamic ? { kind: 'offer', mac, address: grant.lease.address } : null;
      return answer(request, reply, change);
    }
    case 'request':
      return handleRequest(input, config, mac, grant);
    case 'decline': {
      // RFC 2131 §4.3.3: only a decline of our own offer matters; never answered.
      const address = request.options.requestedIp;
      if (request.options.serverId !== config.serverIp || !address) return ignore('other-server');
      const change: LeaseChange | null = input.held?.address === address ? { kind: 'decline', mac, address } : null;
      return { action: 'ignore', reason: 'never-answered', lease: change, served: `DHCPDECLINE ${address}` };
    }
    case 'release': {
      // RFC 2131 §4.3.4: never answered; a static lease stays reserved for its host.
      const change: LeaseChange | null =
        input.held?.address === request.ciaddr ? { kind: 'release', mac, address: request.ciaddr } : null;
      return { action: 'ignore', reason: 'never-answered', lease: change, served: null };
    }
    case 'inform': {
      // RFC 2131 §4.3.5: configuration only; no yiaddr and no lease time; unicast to ciaddr.
      if (!input.host && !config.dynamic) return ignore('unknown-host');
      const reply = replyTo(request, 'ack', config.serverIp);
      reply.ciaddr = request.ciaddr;
      if (grant) Object.assign(reply.options, networkOptions(grant.lease, input.host));
      return answer(request, withBoot(reply, request, mac, config), null);
    }
    default:
      return ignore('not-a-client-request');
  }
}

/**
 * RFC 2131 §4.3.2 tells the REQUEST's states apart by what it carries:
 * SELECTING has a server identifier; INIT-REBOOT has a requested address
 * and no ciaddr; RENEWING/REBINDING have ciaddr and neither option.
 */
function handleRequest(input: FullModeInput, config: FullModeConfig, mac: string, grant: Grant | null): Outcome {
  const { request } = input;
  const { serverId, requestedIp } = request.options;
  const nak = (why: string): Outcome => {
    const reply = replyTo(request, 'nak', config.serverIp);
    reply.options.message = why;
    return answer(request, reply, null, `DHCPNAK ${why}`);
  };

  if (serverId !== undefined) {
    if (serverId !== config.serverIp) {
      // The client took another server's offer: free any address we held for it.
      const change: LeaseChange | null =
        input.held?.state === 'offered' ? { kind: 'release', mac, address: input.held.address } : null;
      return { action: 'ignore', reason: 'other-server', lease: change, served: null };
    }
    if (!grant) return nak('no address for this client');
    if (requestedIp !== grant.lease.address)
      return nak(`requested ${requestedIp ?? 'no address'}, offered ${grant.lease.address}`);
    return ack(input, grant, mac, config);
  }

  const claimed = request.ciaddr !== ZERO_ADDRESS ? request.ciaddr : requestedIp;
  if (claimed === undefined) return ignore('unexpected-message');
  // RFC 2131 §4.3.2 INIT-REBOOT: "If the DHCP server has no record of this client, then it MUST remain silent".
  if (!grant) return ignore(input.host ? 'no-lease' : 'unknown-host');
  if (claimed !== grant.lease.address) return nak(`${claimed} is not this client's address`);
  if (!onClientNetwork(request, grant.lease, config)) return nak(`${claimed} is not on this network`);
  return ack(input, grant, mac, config);
}

function ack(input: FullModeInput, grant: Grant, mac: string, config: FullModeConfig): Outcome {
  const { request } = input;
  const reply = withLease(request, 'ack', grant, mac, config, input.host);
  reply.ciaddr = request.ciaddr;
  const change: LeaseChange | null = grant.dynamic
    ? { kind: 'bind', mac, address: grant.lease.address, leaseTime: grant.lease.leaseTime }
    : null;
  return answer(request, reply, change);
}

/** A static lease from the backend wins; otherwise the discovery range, if on. */
function grantFor(input: FullModeInput, config: FullModeConfig): Grant | null {
  const lease = input.host?.lease;
  if (lease) return { lease: { ...lease, leaseTime: lease.leaseTime ?? config.defaultLeaseTime }, dynamic: false };
  const range = config.dynamic;
  if (!range) return null;
  const address = input.held?.address ?? (input.request.options.messageType === 'discover' ? input.candidate : null);
  if (!address) return null;
  return {
    lease: {
      address,
      prefix: range.prefix,
      gateway: range.gateway,
      dnsServers: range.dnsServers,
      leaseTime: range.leaseTime,
    },
    dynamic: true,
  };
}

/**
 * RFC 2131 §4.3.1: the address must belong to the client's network, which
 * is the relay's (giaddr) when relayed, else the one the server is on.
 */
function onClientNetwork(request: DhcpMessage, lease: StaticLease, config: FullModeConfig): boolean {
  const anchor = request.giaddr !== ZERO_ADDRESS ? request.giaddr : config.serverIp;
  return sameSubnet(lease.address, anchor, lease.prefix);
}

function withLease(
  request: DhcpMessage,
  type: DhcpMessageType,
  grant: Grant,
  mac: string,
  config: FullModeConfig,
  host: BootHost | null,
): DhcpMessage {
  const reply = replyTo(request, type, config.serverIp);
  reply.yiaddr = grant.lease.address;
  Object.assign(reply.options, { leaseTime: grant.lease.leaseTime }, networkOptions(grant.lease, host));
  return withBoot(reply, request, mac, config);
}

/** RFC 2132 §3.3, §3.5, §3.8, §3.14: mask, router, DNS servers, host name. */
function networkOptions(lease: StaticLease, host: BootHost | null): Partial<DhcpMessage['options']> {
  return {
    subnetMask: prefixToMask(lease.prefix),
    ...(lease.gateway ? { routers: [lease.gateway] } : {}),
    ...(lease.dnsServers.length ? { dnsServers: lease.dnsServers } : {}),
    ...(host?.hostname ? { hostname: host.hostname } : {}),
  };
}

function withBoot(reply: DhcpMessage, request: DhcpMessage, mac: string, config: FullModeConfig): DhcpMessage {
  const choice = chooseBoot(request.options, mac, config.boot);
  if (!choice) return reply;
  const fields = bootFields(choice, request.options);
  return { ...reply, siaddr: fields.siaddr, file: fields.file, options: { ...reply.options, ...fields.options } };
}

function answer(request: DhcpMessage, message: DhcpMessage, lease: LeaseChange | null, served?: string): Outcome {
  return { action: 'reply', reply: addressed(request, message), lease, served: served ?? servedLine(message) };
}
