import { createSocket, type Socket } from 'node:dgram';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { BootBackend } from '../../../../pxe/backend.js';
import { DhcpConfigError } from '../../../../pxe/dhcp/errors.js';
import { decodeMessage, encodeMessage, type DhcpMessage } from '../../../../pxe/dhcp/packet.js';
import {
  startDhcpServer,
  type DhcpServer,
  type DhcpServerEvent,
  type DhcpServerOptions,
} from '../../../../pxe/dhcp/server.js';
import { KNOWN_MAC, knownHost, MemoryBackend, pxeClass, request, UNKNOWN_MAC } from './fixtures.js';

// Everything here stays on loopback, on high ports: the server serves `lo` as 127.0.0.1.
const LO_HOST = knownHost({
  lease: { address: '127.0.0.10', prefix: 8, gateway: null, dnsServers: [], leaseTime: 600 },
});

async function freePorts(n: number): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve) => {
          const s = createSocket('udp4');
          s.bind(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** A test client: listens on the client port for broadcast and unicast replies. */
class Client {
  private readonly inbox: DhcpMessage[] = [];
  private waiters: Array<() => void> = [];
  private constructor(
    readonly socket: Socket,
    readonly sender: Socket,
  ) {
    socket.on('message', (b) => {
      try {
        this.inbox.push(decodeMessage(b));
      } catch {
        return;
      }
      this.waiters.forEach((w) => w());
      this.waiters = [];
    });
  }
  static async open(port: number): Promise<Client> {
    const listen = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve) => listen.bind(port, '0.0.0.0', resolve));
    const sender = createSocket('udp4');
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
    sender.setBroadcast(true);
    return new Client(listen, sender);
  }
  send(message: DhcpMessage | Buffer, port: number, address = '255.255.255.255'): void {
    this.sender.send(Buffer.isBuffer(message) ? message : encodeMessage(message), port, address);
  }
  /** The next reply matching xid, or null after `ms`. */
  async next(xid: number, ms = 2000): Promise<DhcpMessage | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.xid === xid);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  close(): void {
    this.socket.close();
    this.sender.close();
  }
}

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function setup(options: Partial<DhcpServerOptions> & { backend: BootBackend }) {
  const [server, client, pxe] = await freePorts(3);
  const events: DhcpServerEvent[] = [];
  const dhcp: DhcpServer = await startDhcpServer({
    mode: 'full',
    interface: 'lo',
    serverIp: '127.0.0.1',
    boot: { ipxeScriptUrl: 'http://127.0.0.1:8080/boot/{mac}.ipxe' },
    ports: { server: server!, client: client!, pxe: pxe! },
    observer: (e) => events.push(e),
    ...options,
  });
  open.push(dhcp);
  const c = await Client.open(client!);
  open.push(c);
  return { dhcp, client: c, events, ports: { server: server!, client: client!, pxe: pxe! } };
}

describe('DHCP server on loopback', () => {
  it('completes DISCOVER-OFFER-REQUEST-ACK for a known MAC over broadcast and records both replies', async () => {
    const backend = new MemoryBackend([LO_HOST]);
    const { client, ports, events } = await setup({ backend });
    client.send(
      request(KNOWN_MAC, { messageType: 'discover', ...pxeClass(0) }, { xid: 1, flags: 0x8000 }),
      ports.server,
    );
    const offer = await client.next(1);
    expect(offer).toMatchObject({ op: 'reply', yiaddr: '127.0.0.10', siaddr: '127.0.0.1', file: 'undionly.kpxe' });
    expect(offer!.options).toMatchObject({ messageType: 'offer', serverId: '127.0.0.1', leaseTime: 600 });
    client.send(
      request(
        KNOWN_MAC,
        { messageType: 'request', serverId: '127.0.0.1', requestedIp: '127.0.0.10', ...pxeClass(0) },
        { xid: 2 },
      ),
      ports.server,
    );
    expect((await client.next(2))?.options.messageType).toBe('ack');
    await expect.poll(() => backend.served.length).toBe(2);
    expect(backend.served).toEqual([
      { mac: KNOWN_MAC, protocol: 'dhcp', detail: 'DHCPOFFER 127.0.0.10 undionly.kpxe' },
      { mac: KNOWN_MAC, protocol: 'dhcp', detail: 'DHCPACK 127.0.0.10 undionly.kpxe' },
    ]);
    expect(events.filter((e) => e.kind === 'replied').map((e) => e.kind === 'replied' && e.messageType)).toEqual([
      'offer',
      'ack',
    ]);
  });

  it('answers a RENEWING client unicast to its ciaddr, and NAKs a renewal of an address it does not hold', async () => {
    const { client, ports } = await setup({ backend: new MemoryBackend([LO_HOST]) });
    client.send(
      request(KNOWN_MAC, { messageType: 'request' }, { xid: 3, ciaddr: '127.0.0.10' }),
      ports.server,
      '127.0.0.1',
    );
    expect(await client.next(3)).toMatchObject({
      ciaddr: '127.0.0.10',
      yiaddr: '127.0.0.10',
      options: { messageType: 'ack' },
    });
    client.send(
      request(KNOWN_MAC, { messageType: 'request' }, { xid: 33, ciaddr: '127.0.0.11' }),
      ports.server,
      '127.0.0.1',
    );
    expect((await client.next(33))?.options.messageType).toBe('nak');
  });

  it('ignores an unknown MAC, answering nothing', async () => {
    const backend = new MemoryBackend([LO_HOST]);
    const { client, ports, events } = await setup({ backend });
    client.send(request(UNKNOWN_MAC, { messageType: 'discover' }, { xid: 4 }), ports.server);
    expect(await client.next(4, 400)).toBeNull();
    expect(events).toContainEqual({
      kind: 'ignored',
      reason: 'unknown-host',
      messageType: 'discover',
      mac: UNKNOWN_MAC,
    });
    expect(backend.served).toEqual([]);
  });

  it('gives concurrent unknown MACs distinct discovery addresses, skipping ones enrolled hosts hold', async () => {
    const holder = knownHost({
      mac: '52:54:00:00:00:01',
      lease: { address: '127.0.1.1', prefix: 8, gateway: null, dnsServers: [] },
    });
    const { client, ports } = await setup({
      backend: new MemoryBackend([holder]),
      discoveryRange: {
        start: '127.0.1.1',
        end: '127.0.1.20',
        prefix: 8,
        gateway: null,
        dnsServers: [],
        leaseTime: 60,
      },
    });
    const macs = Array.from({ length: 5 }, (_, i) => `52:54:00:aa:00:0${i}`);
    macs.forEach((mac, i) => client.send(request(mac, { messageType: 'discover' }, { xid: 100 + i }), ports.server));
    const offers = await Promise.all(macs.map((_, i) => client.next(100 + i)));
    const addresses = offers.map((o) => o?.yiaddr);
    expect(new Set(addresses).size).toBe(5);
    expect(addresses).not.toContain('127.0.1.1');
    macs.forEach((mac, i) =>
      client.send(
        request(mac, { messageType: 'request', serverId: '127.0.0.1', requestedIp: addresses[i]! }, { xid: 200 + i }),
        ports.server,
      ),
    );
    const acks = await Promise.all(macs.map((_, i) => client.next(200 + i)));
    expect(acks.map((a) => a?.options.messageType)).toEqual(Array(5).fill('ack'));
  });

  it('in proxy mode offers boot options without an address, and acks on the PXE port to the source', async () => {
    const { client, ports } = await setup({ backend: new MemoryBackend([knownHost()]), mode: 'proxy' });
    client.send(request(KNOWN_MAC, { messageType: 'discover', ...pxeClass(9) }, { xid: 5 }), ports.server);
    const offer = await client.next(5);
    expect(offer).toMatchObject({ yiaddr: '0.0.0.0', file: 'ipxe.efi' });
    expect(offer!.options.leaseTime).toBeUndefined();

    const boot = createSocket('udp4');
    open.push(boot);
    await new Promise<void>((resolve) => boot.bind(0, '127.0.0.1', resolve));
    const ack = new Promise<DhcpMessage>((resolve) => boot.once('message', (b) => resolve(decodeMessage(b))));
    boot.send(
      encodeMessage(
        request(
          KNOWN_MAC,
          { messageType: 'request', ...pxeClass(9), userClass: Buffer.from('iPXE') },
          { xid: 6, ciaddr: '127.0.0.1' },
        ),
      ),
      ports.pxe,
      '127.0.0.1',
    );
    expect(await ack).toMatchObject({
      yiaddr: '0.0.0.0',
      options: { messageType: 'ack', bootfile: 'http://127.0.0.1:8080/boot/52:54:00:12:34:56.ipxe' },
    });
  });

  it('survives random and damaged datagrams and still answers afterwards', async () => {
    const { client, ports, events } = await setup({ backend: new MemoryBackend([LO_HOST]) });
    const valid = encodeMessage(request(KNOWN_MAC, { messageType: 'discover', ...pxeClass(0) }, { xid: 7 }));
    const datagrams = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
        fc.nat(valid.length - 1).map((n) => valid.subarray(0, n)),
        fc.tuple(fc.nat(valid.length - 1), fc.nat(255)).map(([at, v]) => {
          const b = Buffer.from(valid);
          b[at] = v;
          return b;
        }),
      ),
      400,
    );
    for (const d of datagrams) client.send(d.length ? d : Buffer.from([0]), ports.server, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    client.send(request(KNOWN_MAC, { messageType: 'discover' }, { xid: 0x7777 }), ports.server);
    expect((await client.next(0x7777))?.yiaddr).toBe('127.0.0.10');
    expect(events.filter((e) => e.kind === 'malformed').length).toBeGreaterThan(100);
    expect(events.filter((e) => e.kind === 'failed' && e.stage === 'handler')).toEqual([]);
  });

  it('reports a failing backend to the observer and keeps serving', async () => {
    let fail = true;
    const good = new MemoryBackend([LO_HOST]);
    const backend: BootBackend = {
      getByMac: (mac) => (fail ? Promise.reject(new Error('db down')) : good.getByMac(mac)),
      getByIp: (a) => good.getByIp(a),
      recordServed: () => Promise.reject(new Error('history table locked')),
      recordServedTo: () => Promise.reject(new Error('history table locked')),
    };
    const { client, ports, events } = await setup({ backend });
    client.send(request(KNOWN_MAC, { messageType: 'discover' }, { xid: 8 }), ports.server);
    expect(await client.next(8, 400)).toBeNull();
    fail = false;
    client.send(request(KNOWN_MAC, { messageType: 'discover' }, { xid: 9 }), ports.server);
    expect((await client.next(9))?.yiaddr).toBe('127.0.0.10');
    await expect.poll(() => events.filter((e) => e.kind === 'failed' && e.stage === 'backend').length).toBe(2);
  });

  it('refuses an unknown interface or an address that is not on it', async () => {
    const base = { mode: 'full' as const, backend: new MemoryBackend([]), boot: { ipxeScriptUrl: 'http://x/{mac}' } };
    await expect(startDhcpServer({ ...base, interface: 'anvil-no-such0' })).rejects.toThrow(DhcpConfigError);
    await expect(startDhcpServer({ ...base, interface: 'lo', serverIp: '192.0.2.1' })).rejects.toThrow(DhcpConfigError);
  });
});
