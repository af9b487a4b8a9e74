/**
 * How the network boot services learn about hosts: a small read-only
 * interface, as Tinkerbell smee's handlers use, implemented by `services/`
 * over nodes, ports and IPAM. The protocol code knows nothing of the database.
 */

/** An IPv4 address a host holds, with what DHCP tells it alongside. */
export interface StaticLease {
  address: string;
  prefix: number;
  gateway: string | null;
  dnsServers: string[];
  /** Seconds; the server's default when absent. */
  leaseTime?: number;
}

/** What a host should boot right now. */
export type BootAction =
  /**
   * The ramdisk agent (deploying, inspecting, cleaning), with kernel parameters. Kernel and ramdisk are
   * http(s) URLs, or paths that the boot HTTP server serves under its `/boot-files/` (it knows its own address).
   */
  | { kind: 'agent'; kernelUrl: string; ramdiskUrl: string; kernelParams: string[] }
  /** A ramdisk deploy's instance: its kernel and ramdisk are the OS, booted from the network every time. */
  | { kind: 'ramdisk'; kernelUrl: string; ramdiskUrl: string; kernelParams: string[] }
  /** An installed host: boot from its local disk, never netboot in a loop. */
  | { kind: 'local-disk' }
  /** Nothing to do (unknown state, enrolled but idle): leave the boot to the next device. */
  | { kind: 'exit' };

export interface BootHost {
  /** Lower-case, colon separated. */
  mac: string;
  nodeUuid: string;
  hostname: string | null;
  /** The address DHCP hands out in full mode; null when the host has none (proxy mode still answers). */
  lease: StaticLease | null;
  boot: BootAction;
}

export interface BootBackend {
  getByMac(mac: string): Promise<BootHost | null>;
  getByIp(address: string): Promise<BootHost | null>;
  /** Records what was served to a host (DHCP offer, TFTP file, HTTP script...), for the node's history. */
  recordServed(mac: string, what: ServedEvent): Promise<void>;
  /** The same, for a request that carries no MAC (a download): the host is the one holding `address`. */
  recordServedTo(address: string, what: ServedEvent): Promise<void>;
}

export interface ServedEvent {
  protocol: 'dhcp' | 'tftp' | 'http';
  /** e.g. `DHCPACK 192.0.2.10`, `undionly.kpxe`, `/boot/52:54:00:00:00:01.ipxe`. */
  detail: string;
}
