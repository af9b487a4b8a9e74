import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BmcDriverRegistry, requireInterface } from '../../../../bmc-drivers/index.js';

// Reading a BMC's virtual media devices (GET /v1/nodes/{id}/vmedia) off
// vendor-shaped trees: a read-only BMC on loopback serving a fixture.

type Json = Record<string, unknown>;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

function fixture(name: string): Map<string, Json> {
  const parsed = JSON.parse(readFileSync(new URL(`../../../fixtures/redfish/${name}`, import.meta.url), 'utf8')) as {
    resources: Record<string, Json>;
  };
  return new Map(Object.entries(parsed.resources));
}

async function serve(resources: Map<string, Json>): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
      if (req.method === 'POST' && path.toLowerCase().endsWith('/sessions')) {
        res.writeHead(201, { 'X-Auth-Token': 'tok', Location: '/redfish/v1/SessionService/Sessions/1' });
        res.end('{}');
        return;
      }
      const body = req.method === 'GET' ? resources.get(path) : undefined;
      res.writeHead(body ? 200 : req.method === 'DELETE' ? 204 : 404, { 'Content-Type': 'application/json' });
      res.end(body ? JSON.stringify(body) : '');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The driver of the BMC at `url`; an empty `systemPath` has it find its one system. */
function mediaOf(url: string, systemPath: string) {
  const registry = new BmcDriverRegistry({ policy: { timeoutMs: 2000, attempts: 1, baseDelayMs: 5, maxDelayMs: 20 } });
  const driver = registry.fromAddress(`redfish+${url}${systemPath}`, { username: 'root', password: 'calvin' });
  return requireInterface(driver, 'virtualMedia');
}

describe('Redfish virtual media list', () => {
  it('lists every device of the Manager, CD or not, as HPE iLO 5 reports them', async () => {
    const media = mediaOf(await serve(fixture('hpe-ilo.json')), '');
    expect(await media.list()).toEqual([
      { mediaTypes: ['Floppy', 'USBStick'], inserted: false, image: '' },
      { mediaTypes: ['CD', 'DVD'], inserted: false, image: '' },
    ]);
  });

  it("takes the System's own collection over the Manager's when it has one (Redfish 2021.1+)", async () => {
    const resources = fixture('dell-idrac.json');
    const system = '/redfish/v1/Systems/System.Embedded.1';
    const own = `${system}/VirtualMedia`;
    resources.set(system, { ...resources.get(system), VirtualMedia: { '@odata.id': own } });
    resources.set(own, { Members: [{ '@odata.id': `${own}/1` }] });
    resources.set(`${own}/1`, { Id: '1', MediaTypes: ['DVD'], Image: 'http://10.0.0.1/a.iso', Inserted: true });
    const media = mediaOf(await serve(resources), system);
    expect(await media.list()).toEqual([{ mediaTypes: ['DVD'], inserted: true, image: 'http://10.0.0.1/a.iso' }]);
  });

  it('answers none for a BMC without virtual media, for the caller to refuse', async () => {
    const resources = fixture('supermicro.json');
    resources.set('/redfish/v1/Managers/1/VirtualMedia', { Members: [] });
    const media = mediaOf(await serve(resources), '/redfish/v1/Systems/1');
    expect(await media.list()).toEqual([]);
  });
});
