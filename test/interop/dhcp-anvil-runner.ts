// Runs Anvil's DHCP server inside a network namespace for the interop tests
// and the DHCP benchmark (`ip netns exec NS node --import tsx this-file CONFIG.json`):
// node cannot enter a namespace itself, so the test process starts this one.
// It reports on stdout, one JSON object a line: ready, served (BootBackend.
// recordServed), http (a request to the optional boot-script HTTP server).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { BootBackend, BootHost, ServedEvent } from '../../pxe/backend.js';
import { startDhcpServer, type DhcpServerOptions } from '../../pxe/dhcp/index.js';

export interface RunnerConfig {
  mode: DhcpServerOptions['mode'];
  interface: string;
  serverIp: string;
  hosts: BootHost[];
  boot: DhcpServerOptions['boot'];
  /** Serve `#!ipxe` scripts on this port, so a PXE-booting VM shows what it was told. */
  httpPort?: number;
  /** Leave out `served` lines (the benchmark's thousands of replies). */
  quiet?: boolean;
}

// A file, not an argument: the benchmark's thousands of hosts exceed the argument size limit.
const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as RunnerConfig;
const say = (line: object): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

const byMac = new Map(config.hosts.map((h) => [h.mac, h]));
const byIp = new Map(config.hosts.filter((h) => h.lease).map((h) => [h.lease!.address, h]));
const backend: BootBackend = {
  getByMac: async (mac) => byMac.get(mac) ?? null,
  getByIp: async (address) => byIp.get(address) ?? null,
  recordServed: async (mac: string, what: ServedEvent) => {
    if (!config.quiet) say({ event: 'served', mac, ...what });
  },
  recordServedTo: async (address: string, what: ServedEvent) => {
    const host = byIp.get(address);
    if (host && !config.quiet) say({ event: 'served', mac: host.mac, ...what });
  },
};

const server = await startDhcpServer({
  mode: config.mode,
  interface: config.interface,
  serverIp: config.serverIp,
  backend,
  boot: config.boot,
  observer: (e) => {
    if (e.kind === 'failed') say({ event: 'failed', stage: e.stage, message: e.error.message });
  },
});

const http = config.httpPort
  ? createServer((req, res) => {
      say({ event: 'http', path: req.url, remote: req.socket.remoteAddress });
      res.setHeader('content-type', 'text/plain');
      res.end('#!ipxe\necho Anvil interop: script served\nexit\n');
    })
  : null;
if (http) await new Promise<void>((resolve) => http.listen(config.httpPort, config.serverIp, resolve));

say({ event: 'ready', serverIp: server.serverIp });
process.on('SIGTERM', () => {
  http?.close();
  void server.close().then(() => process.exit(0));
});
