/**
 * The two ways DHCP code fails: a datagram that is not a well-formed DHCP
 * message (the server drops it and counts it), and a server that cannot
 * start as configured (the caller must fix its configuration).
 */

/** A datagram that does not decode as RFC 2131/2132 BOOTP/DHCP. Decoders throw nothing else. */
export class DhcpDecodeError extends Error {
  override readonly name = 'DhcpDecodeError';
}

/** A message that cannot be put on the wire (a field or option too long for its slot). */
export class DhcpEncodeError extends Error {
  override readonly name = 'DhcpEncodeError';
}

/** Bad server configuration: unknown interface, address not on it, invalid range. */
export class DhcpConfigError extends Error {
  override readonly name = 'DhcpConfigError';
}
