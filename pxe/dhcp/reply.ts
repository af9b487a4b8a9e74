/**
 * What every server reply shares: the header fields copied from the request
 * (RFC 2131 §4.3.1 table 3) and where the reply goes (RFC 2131 §4.1).
 */
import { ZERO_ADDRESS } from './ipv4.js';
import type { DhcpMessageType } from './options.js';
import { BROADCAST_FLAG, type DhcpMessage } from './packet.js';

/**
 * Where a reply is sent. The server maps these to sockets and ports:
 * `relay` is the relay agent's server port (67), `client` the client port
 * (68), `source` the exact address and port the request came from.
 */
export type ReplyDestination =
  | { kind: 'relay'; address: string }
  | { kind: 'client'; address: string }
  | { kind: 'broadcast' }
  | { kind: 'source'; address: string; port: number };

export interface DhcpReply {
  message: DhcpMessage;
  destination: ReplyDestination;
}

/** A reply skeleton: xid, flags, giaddr, chaddr from the request; hops and secs zero; server identifier set. */
export function replyTo(request: DhcpMessage, type: DhcpMessageType, serverIp: string): DhcpMessage {
  return {
    op: 'reply',
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    flags: request.flags,
    ciaddr: ZERO_ADDRESS,
    yiaddr: ZERO_ADDRESS,
    siaddr: ZERO_ADDRESS,
    giaddr: request.giaddr,
    chaddr: Buffer.from(request.chaddr),
    sname: '',
    file: '',
    options: {
      messageType: type,
      serverId: serverIp,
      // RFC 6842: a server that receives a client identifier returns it.
      ...(request.options.clientId ? { clientId: request.options.clientId } : {}),
    },
  };
}

/**
 * RFC 2131 §4.1: through the relay in giaddr if any (with the broadcast bit
 * set on a DHCPNAK, so the relay broadcasts it); DHCPNAK otherwise always
 * broadcast; to ciaddr when the client has one; broadcast when the client
 * asked for it. The remaining case, "unicast to chaddr/yiaddr", needs an
 * ARP entry written for an address the client does not yet answer on;
 * node's sockets cannot write the ARP cache, so that case takes the RFC's
 * stated fallback: "the message MAY be sent as an IP broadcast".
 */
export function addressed(request: DhcpMessage, message: DhcpMessage): DhcpReply {
  const nak = message.options.messageType === 'nak';
  if (request.giaddr !== ZERO_ADDRESS) {
    const flags = nak ? message.flags | BROADCAST_FLAG : message.flags;
    return { message: { ...message, flags }, destination: { kind: 'relay', address: request.giaddr } };
  }
  if (!nak && request.ciaddr !== ZERO_ADDRESS)
    return { message, destination: { kind: 'client', address: request.ciaddr } };
  return { message, destination: { kind: 'broadcast' } };
}
