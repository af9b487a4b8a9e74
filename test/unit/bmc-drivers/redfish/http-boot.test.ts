import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BmcDriverRegistry,
  enrollmentFromAddress,
  parseBmcAddress,
  requireHttpBoot,
  UnsupportedOperation,
} from '../../../../bmc-drivers/index.js';
import { createFleet, type Fleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';

// The management interface's UEFI HTTP boot (Ironic's redfish-https), against
// the Redfish sim and against BMCs that do not offer it.

const credentials = { username: 'admin', password: 's3cret-pw' };
const policy = { timeoutMs: 2000, attempts: 1, baseDelayMs: 5, maxDelayMs: 20 };
let fleet: Fleet;
let sim: RedfishSim;
const registry = new BmcDriverRegistry({ policy });
const servers: http.Server[] = [];

beforeAll(async () => {
  fleet = createFleet({ count: 2, seed: 5 });
  sim = await startRedfishSim({ fleet, credentials });
});

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

afterAll(async () => {
  await sim.close();
});

/** A BMC with one system whose Boot is `boot`; it records every request but GETs. */
async function bmcWithBoot(boot: Record<string, unknown>, writes: string[]): Promise<string> {
  const resources = new Map<string, object>([
    ['/redfish/v1', { '@odata.id': '/redfish/v1', Systems: { '@odata.id': '/redfish/v1/Systems' } }],
    ['/redfish/v1/Systems/1', { '@odata.id': '/redfish/v1/Systems/1', Id: '1', PowerState: 'Off', Boot: boot }],
  ]);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
      if (req.method === 'POST' && path.toLowerCase().endsWith('/sessions')) {
        res.writeHead(201, { 'X-Auth-Token': 'tok', Location: '/redfish/v1/SessionService/Sessions/1' });
        res.end('{}');
        return;
      }
      if (req.method !== 'GET') {
        // Recorded and accepted: what a write asked for is the test's to check.
        writes.push(`${req.method} ${path}`);
        res.writeHead(204).end();
        return;
      }
      const body = resources.get(path);
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(body ? JSON.stringify(body) : '');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Redfish UEFI HTTP boot', () => {
  it('sets a one-time UefiHttp boot of the URI in UEFI mode, which the sim reports and the next boot uses', async () => {
    const host = fleet.hosts[0]!;
    host.setBootOverride({ mode: 'legacy' });
    const driver = registry.fromAddress(`redfish+${sim.url}/redfish/v1/Systems/${host.name}`, credentials);
    await requireHttpBoot(driver)('http://192.0.2.10/agent.iso');
    expect(host.boot).toEqual({
      target: 'uefi-http',
      enabled: 'once',
      mode: 'uefi',
      httpBootUri: 'http://192.0.2.10/agent.iso',
    });
    // Not a device Anvil's boot devices name: an override is set, of no device known to set_boot_device.
    expect(await driver.management.getBootDevice()).toEqual({ device: null, persistent: false, mode: 'uefi' });
    host.powerAction('On');
    expect(host.lastBoot).toMatchObject({ device: 'uefi-http', httpBootUri: 'http://192.0.2.10/agent.iso' });
    expect(host.boot).toEqual({ target: 'none', enabled: 'disabled', mode: 'uefi' });
    host.powerAction('ForceOff');
  });

  it('sets a persistent one when asked, which outlives the boot', async () => {
    const host = fleet.hosts[1]!;
    const driver = registry.fromAddress(`redfish+${sim.url}/redfish/v1/Systems/${host.name}`, credentials);
    await requireHttpBoot(driver)('https://192.0.2.10/instance.iso', { persistent: true });
    host.powerAction('On');
    host.powerAction('ForceOff');
    expect(host.boot).toEqual({
      target: 'uefi-http',
      enabled: 'continuous',
      mode: 'uefi',
      httpBootUri: 'https://192.0.2.10/instance.iso',
    });
  });

  it('refuses, with nothing written, a BMC whose allowed targets lack UefiHttp', async () => {
    const writes: string[] = [];
    const url = await bmcWithBoot(
      {
        BootSourceOverrideTarget: 'None',
        'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Hdd', 'Cd'],
        HttpBootUri: null,
      },
      writes,
    );
    const driver = registry.fromAddress(`redfish+${url}/redfish/v1/Systems/1`, credentials);
    await expect(requireHttpBoot(driver)('http://192.0.2.10/agent.iso')).rejects.toThrow(
      /does not offer boot target UefiHttp \(allowed: None, Pxe, Hdd, Cd\)/,
    );
    expect(writes).toEqual([]);
  });

  it('refuses, with nothing written, a BMC that lists no targets and shows no HttpBootUri property', async () => {
    const writes: string[] = [];
    const url = await bmcWithBoot({ BootSourceOverrideTarget: 'None' }, writes);
    const driver = registry.fromAddress(`redfish+${url}/redfish/v1/Systems/1`, credentials);
    await expect(requireHttpBoot(driver)('http://192.0.2.10/agent.iso')).rejects.toThrow(/no Boot\/HttpBootUri/);
    expect(writes).toEqual([]);
  });

  it('boots a BMC that lists UefiHttp but leaves its null HttpBootUri out, as Redfish allows', async () => {
    const writes: string[] = [];
    const url = await bmcWithBoot(
      {
        BootSourceOverrideTarget: 'None',
        'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'UefiHttp'],
      },
      writes,
    );
    const driver = registry.fromAddress(`redfish+${url}/redfish/v1/Systems/1`, credentials);
    await requireHttpBoot(driver)('http://192.0.2.10/agent.iso');
    expect(writes).toHaveLength(1);
  });

  it('is not offered by the IPMI driver', () => {
    const driver = registry.fromAddress('ipmi://127.0.0.1:6230', credentials);
    expect('setHttpBootUri' in driver.management).toBe(false);
    expect(() => requireHttpBoot(driver)).toThrow(UnsupportedOperation);
    expect(() => requireHttpBoot(driver)).toThrow(/ipmi hardware type has no UEFI HTTP boot/);
  });
});

describe('the redfish-uefihttp BMC address', () => {
  it('is a Redfish BMC booted by UEFI HTTP, enrolled with the redfish-https boot interface as Metal3 does', () => {
    expect(parseBmcAddress('redfish-uefihttp+http://10.0.0.5:8000/redfish/v1/Systems/1')).toEqual({
      protocol: 'redfish',
      vendor: null,
      bootMethod: 'uefi-http',
      host: '10.0.0.5',
      port: 8000,
      scheme: 'http',
      systemPath: '/redfish/v1/Systems/1',
    });
    const enrollment = enrollmentFromAddress('redfish-uefihttp://bmc.example/redfish/v1/Systems/1', {
      username: 'u',
      password: 'p',
    });
    expect(enrollment.driver).toBe('redfish');
    expect(enrollment.bootInterface).toBe('redfish-https');
    expect(enrollment.driverInfo.redfish_address).toBe('https://bmc.example:443');
  });
});
