import type { BootBackend, BootHost, ServedEvent } from '../../../../pxe/backend.js';
import type { BootFileConfig } from '../../../../pxe/dhcp/boot-file.js';
import type { DhcpOptions } from '../../../../pxe/dhcp/options.js';
import { chaddrFromMac, type DhcpMessage } from '../../../../pxe/dhcp/packet.js';

export const SERVER_IP = '192.0.2.1';
export const KNOWN_MAC = '52:54:00:12:34:56';
export const UNKNOWN_MAC = '52:54:00:99:99:99';

export const BOOT: BootFileConfig = {
  tftpServer: SERVER_IP,
  biosFile: 'undionly.kpxe',
  uefiX64File: 'ipxe.efi',
  uefiArm64File: 'arm64/ipxe.efi',
  ipxeScriptUrl: 'http://192.0.2.1:8080/boot/{mac}.ipxe',
};

export function knownHost(overrides: Partial<BootHost> = {}): BootHost {
  return {
    mac: KNOWN_MAC,
    nodeUuid: '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
    hostname: 'node-1',
    lease: { address: '192.0.2.10', prefix: 24, gateway: '192.0.2.254', dnsServers: ['192.0.2.53'], leaseTime: 7200 },
    boot: { kind: 'exit' },
    ...overrides,
  };
}

/** A PXE ROM's vendor class (PXE spec 2.1 §2.2.1) for the given architecture. */
export function pxeClass(arch: number): DhcpOptions {
  return { vendorClass: `PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:002001`, clientArch: [arch] };
}

export function request(mac: string, options: DhcpOptions, fields: Partial<DhcpMessage> = {}): DhcpMessage {
  return {
    op: 'request',
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 0x3903f326,
    secs: 0,
    flags: 0,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: chaddrFromMac(mac),
    sname: '',
    file: '',
    options,
    ...fields,
  };
}

/** A BootBackend over a list of hosts that remembers what it was told was served. */
export class MemoryBackend implements BootBackend {
  readonly served: Array<{ mac: string } & ServedEvent> = [];
  constructor(private readonly hosts: BootHost[]) {}
  async getByMac(mac: string): Promise<BootHost | null> {
    return this.hosts.find((h) => h.mac === mac) ?? null;
  }
  async getByIp(address: string): Promise<BootHost | null> {
    return this.hosts.find((h) => h.lease?.address === address) ?? null;
  }
  async recordServed(mac: string, what: ServedEvent): Promise<void> {
    this.served.push({ mac, ...what });
  }
  async recordServedTo(address: string, what: ServedEvent): Promise<void> {
    const host = await this.getByIp(address);
    if (host) await this.recordServed(host.mac, what);
  }
}
