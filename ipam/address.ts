import { Address4, Address6 } from 'ip-address';
import { InvalidIpamInput } from './errors.js';

export type IpFamily = 'ipv4' | 'ipv6';

/** An address as a number: comparisons and arithmetic are plain bigint operations. */
export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  family: IpFamily;
  /** The network address: host bits cleared. */
  network: bigint;
  prefix: number;
}

export const FAMILY_BITS: Readonly<Record<IpFamily, number>> = { ipv4: 32, ipv6: 128 };

export function maxAddress(family: IpFamily): bigint {
  return (1n << BigInt(FAMILY_BITS[family])) - 1n;
}

/** `10.0.0.1`, `2001:db8::5` (so `::5` and `::0005` are one address); no prefix, no zone. */
export function parseAddress(text: string, what = 'address'): IpAddress {
  if (typeof text !== 'string' || text.includes('/') || text.includes('%')) {
    throw new InvalidIpamInput(`Invalid ${what} ${JSON.stringify(text)}: expected a single IPv4 or IPv6 address.`);
  }
  return parse(text, what);
}

/** `10.0.0.0/24`; host bits may be set (`10.0.0.7/24` names the network 10.0.0.0/24). */
export function parseCidr(text: string, what = 'subnet'): Cidr {
  const slash = typeof text === 'string' ? text.indexOf('/') : -1;
  if (slash < 0 || text.includes('%')) {
    throw new InvalidIpamInput(`Invalid ${what} ${JSON.stringify(text)}: expected a CIDR such as 192.0.2.0/24.`);
  }
  const addr = parse(text.slice(0, slash), what);
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText)) {
    throw new InvalidIpamInput(`Invalid ${what} ${JSON.stringify(text)}: the prefix length must be a number.`);
  }
  const prefix = checkPrefix(addr.family, Number(prefixText), what);
  return { family: addr.family, network: networkOf(addr.value, addr.family, prefix), prefix };
}

/** 0-32 for IPv4, 0-128 for IPv6. */
export function checkPrefix(family: IpFamily, prefix: number, what = 'prefix'): number {
  const max = FAMILY_BITS[family];
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new InvalidIpamInput(
      `Invalid ${what} ${prefix}: an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} prefix length is 0-${max}.`,
    );
  }
  return prefix;
}

export function networkOf(value: bigint, family: IpFamily, prefix: number): bigint {
  const hostBits = BigInt(FAMILY_BITS[family] - prefix);
  return (value >> hostBits) << hostBits;
}

/** A prefix length as a mask in address form: 24 → 255.255.255.0, 64 → ffff:ffff:ffff:ffff:: */
export function netmaskOf(family: IpFamily, prefix: number): string {
  return formatAddress(family, maxAddress(family) ^ ((1n << BigInt(FAMILY_BITS[family] - prefix)) - 1n));
}

export function lastOf(cidr: Cidr): bigint {
  return cidr.network + (1n << BigInt(FAMILY_BITS[cidr.family] - cidr.prefix)) - 1n;
}

export function cidrContains(cidr: Cidr, value: bigint): boolean {
  return value >= cidr.network && value <= lastOf(cidr);
}

/** The canonical text of an address: `::5`, `10.0.0.1`. */
export function formatAddress(family: IpFamily, value: bigint): string {
  return family === 'ipv4' ? Address4.fromBigInt(value).correctForm() : Address6.fromBigInt(value).correctForm();
}

export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.family, cidr.network)}/${cidr.prefix}`;
}

/**
 * Fixed-width lowercase hex (8 digits for IPv4, 32 for IPv6): text order is
 * numeric order, so both engines can index and range-scan addresses.
 */
export function toHex(family: IpFamily, value: bigint): string {
  return value.toString(16).padStart(FAMILY_BITS[family] / 4, '0');
}

export function fromHex(hex: string): bigint {
  return BigInt(`0x${hex}`);
}

function parse(text: string, what: string): IpAddress {
  // A dotted quad with no colon is IPv4; anything with a colon is IPv6 (incl. ::ffff:1.2.3.4).
  try {
    if (!text.includes(':')) return { family: 'ipv4', value: new Address4(text).bigInt() };
    return { family: 'ipv6', value: new Address6(text).bigInt() };
  } catch (err) {
    throw new InvalidIpamInput(`Invalid ${what} ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
}
