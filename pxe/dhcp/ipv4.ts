/**
 * Dotted-quad IPv4 addresses as 32-bit numbers: the few operations DHCP needs
 * (wire form, subnet membership, iterating a range) without a dependency.
 */

import { DhcpEncodeError } from './errors.js';

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export const ZERO_ADDRESS = '0.0.0.0';
export const LIMITED_BROADCAST = '255.255.255.255';

/** The address as an unsigned 32-bit number, or null when it is not a dotted quad. */
export function parseIpv4(address: string): number | null {
  const m = DOTTED.exec(address);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export function isIpv4(address: string): boolean {
  return parseIpv4(address) !== null;
}

/** The dotted-quad form of a prefix length (RFC 2132 §3.3 subnet mask). */
export function prefixToMask(prefix: number): string {
  return formatIpv4(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}

export function sameSubnet(a: string, b: string, prefix: number): boolean {
  const x = parseIpv4(a);
  const y = parseIpv4(b);
  if (x === null || y === null) return false;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (x & mask) >>> 0 === (y & mask) >>> 0;
}

export function writeIpv4(address: string, into: Buffer, offset: number): void {
  const n = parseIpv4(address);
  if (n === null) throw new DhcpEncodeError(`not an IPv4 address: ${address}`);
  into.writeUInt32BE(n, offset);
}

export function readIpv4(from: Buffer, offset: number): string {
  return formatIpv4(from.readUInt32BE(offset));
}
