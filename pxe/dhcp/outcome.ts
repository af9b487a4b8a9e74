/**
 * What a handler decides for one request: a reply (with the lease change
 * and the history line to record), or silence with the reason, which the
 * server reports to its observer for metrics.
 */
import type { LeaseChange } from './dynamic-leases.js';
import { ZERO_ADDRESS } from './ipv4.js';
import type { DhcpMessageType } from './options.js';
import { clientMac, type DhcpMessage } from './packet.js';
import type { DhcpReply } from './reply.js';

export type IgnoreReason =
  | 'not-a-client-request'
  | 'not-ethernet'
  | 'no-message-type'
  | 'unknown-host'
  | 'no-lease'
  | 'wrong-network'
  | 'other-server'
  | 'not-a-pxe-client'
  | 'unexpected-message'
  /** DHCPDECLINE and DHCPRELEASE: acted on, never answered. */
  | 'never-answered';

export type Outcome =
  | { action: 'reply'; reply: DhcpReply; lease: LeaseChange | null; served: string }
  | { action: 'ignore'; reason: IgnoreReason; lease: LeaseChange | null; served: string | null };

export function ignore(reason: IgnoreReason): Outcome {
  return { action: 'ignore', reason, lease: null, served: null };
}

/** What both handlers first read of a request: the client's Ethernet address and message type, or why it is ignored. */
export function clientRequest(request: DhcpMessage): { mac: string; type: DhcpMessageType } | Outcome {
  if (request.op !== 'request') return ignore('not-a-client-request');
  const mac = clientMac(request);
  if (mac === null) return ignore('not-ethernet');
  const type = request.options.messageType;
  if (type === undefined) return ignore('no-message-type');
  return { mac, type };
}

/** The line for BootBackend.recordServed, e.g. `DHCPACK 192.0.2.10 undionly.kpxe`. */
export function servedLine(message: DhcpMessage, prefix = 'DHCP'): string {
  const type = message.options.messageType?.toUpperCase() ?? '';
  return [`${prefix}${type}`, message.yiaddr !== ZERO_ADDRESS ? message.yiaddr : null, message.options.bootfile ?? null]
    .filter((x): x is string => x !== null)
    .join(' ');
}
