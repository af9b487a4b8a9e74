import type { BootBackend, BootHost, ServedEvent } from '../../../../pxe/backend.js';

/** An in-memory BootBackend: hosts by MAC and address, and what was recorded as served. */
export class FakeBackend implements BootBackend {
  readonly served: { mac: string; what: ServedEvent }[] = [];
  failLookups = false;

  constructor(private readonly hosts: BootHost[]) {}

  async getByMac(mac: string): Promise<BootHost | null> {
    if (this.failLookups) throw new Error('database is down');
    return this.hosts.find((h) => h.mac === mac) ?? null;
  }

  async getByIp(address: string): Promise<BootHost | null> {
    return this.hosts.find((h) => h.lease?.address === address) ?? null;
  }

  async recordServed(mac: string, what: ServedEvent): Promise<void> {
    this.served.push({ mac, what });
  }

  async recordServedTo(address: string, what: ServedEvent): Promise<void> {
    const host = await this.getByIp(address);
    if (host) await this.recordServed(host.mac, what);
  }
}
