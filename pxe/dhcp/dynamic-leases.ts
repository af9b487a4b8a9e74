/**
 * The in-memory lease table for the optional discovery range: addresses
 * handed to hosts the backend does not know, so they can PXE-boot into
 * inspection. Lost on restart by design: a client re-requests (INIT-REBOOT)
 * and gets the same free address back, or a DHCPNAK and starts over.
 */
import { DhcpConfigError } from './errors.js';
import { formatIpv4, parseIpv4, sameSubnet } from './ipv4.js';

export interface DynamicRange {
  start: string;
  end: string;
  prefix: number;
  gateway: string | null;
  dnsServers: string[];
  /** Seconds. */
  leaseTime: number;
}

export type LeaseChange =
  | { kind: 'offer'; mac: string; address: string }
  | { kind: 'bind'; mac: string; address: string; leaseTime: number }
  /** DHCPRELEASE, or a client that chose another server's offer (RFC 2131 §4.3.2). */
  | { kind: 'release'; mac: string; address: string }
  /** DHCPDECLINE: the address is in use by someone else (RFC 2131 §4.3.3). */
  | { kind: 'decline'; mac: string; address: string };

export interface HeldLease {
  address: string;
  state: 'offered' | 'bound';
  /** Epoch milliseconds. */
  expires: number;
}

export interface LeaseBookTiming {
  /** How long an offered address stays reserved for the client (RFC 2131 §4.3.1 suggests reserving it). */
  offerHoldMs: number;
  /** How long a declined address stays out of use. */
  declineHoldMs: number;
}

export class LeaseBook {
  private readonly first: number;
  private readonly last: number;
  private readonly byMac = new Map<string, HeldLease>();
  private readonly macByAddress = new Map<string, string>();
  private readonly declinedUntil = new Map<string, number>();

  constructor(
    readonly range: DynamicRange,
    private readonly timing: LeaseBookTiming = { offerHoldMs: 60_000, declineHoldMs: 600_000 },
  ) {
    const first = parseIpv4(range.start);
    const last = parseIpv4(range.end);
    if (first === null || last === null || first > last) {
      throw new DhcpConfigError(`dynamic range ${range.start}-${range.end} is not an IPv4 range`);
    }
    if (
      !Number.isInteger(range.prefix) ||
      range.prefix < 1 ||
      range.prefix > 30 ||
      !sameSubnet(range.start, range.end, range.prefix)
    ) {
      throw new DhcpConfigError(`dynamic range ${range.start}-${range.end} is not inside one /${range.prefix}`);
    }
    this.first = first;
    this.last = last;
  }

  /** The client's unexpired offer or binding. */
  held(mac: string, now: number): HeldLease | null {
    const lease = this.byMac.get(mac);
    return lease && lease.expires > now ? lease : null;
  }

  /** Addresses this client may be offered, best first: its previous one, then free ones in order. */
  *candidates(mac: string, now: number): Generator<string> {
    const previous = this.byMac.get(mac);
    if (previous && !this.isDeclined(previous.address, now)) yield previous.address;
    for (let n = this.first; n <= this.last; n++) {
      const address = formatIpv4(n);
      if (address === previous?.address || this.isDeclined(address, now)) continue;
      const owner = this.macByAddress.get(address);
      if (owner === undefined || owner === mac || !this.held(owner, now)) yield address;
    }
  }

  apply(change: LeaseChange, now: number): void {
    switch (change.kind) {
      case 'offer':
        this.hold(change.mac, { address: change.address, state: 'offered', expires: now + this.timing.offerHoldMs });
        break;
      case 'bind':
        this.hold(change.mac, { address: change.address, state: 'bound', expires: now + change.leaseTime * 1000 });
        break;
      case 'release':
        this.drop(change.mac, change.address);
        break;
      case 'decline':
        this.drop(change.mac, change.address);
        this.declinedUntil.set(change.address, now + this.timing.declineHoldMs);
        break;
    }
  }

  private hold(mac: string, lease: HeldLease): void {
    const before = this.byMac.get(mac);
    if (before && before.address !== lease.address) this.macByAddress.delete(before.address);
    const previousOwner = this.macByAddress.get(lease.address);
    if (previousOwner !== undefined && previousOwner !== mac) this.byMac.delete(previousOwner);
    this.byMac.set(mac, lease);
    this.macByAddress.set(lease.address, mac);
  }

  private drop(mac: string, address: string): void {
    if (this.byMac.get(mac)?.address !== address) return;
    this.byMac.delete(mac);
    this.macByAddress.delete(address);
  }

  private isDeclined(address: string, now: number): boolean {
    return (this.declinedUntil.get(address) ?? 0) > now;
  }
}
