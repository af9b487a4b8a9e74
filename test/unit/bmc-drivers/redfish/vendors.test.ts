import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BmcDriverRegistry, requireInterface } from '../../../../bmc-drivers/index.js';
import {
  connectRedfish,
  ejectVirtualMedia,
  findVirtualMedia,
  firmwareTargetOf,
  getFirmwareComponents,
  getFirmwareVersions,
  inspectHardware,
  insertVirtualMedia,
  setBiosAttributes,
  setBootDevice,
  setPowerState,
  updateFirmware,
  type RedfishSystem,
} from '../../../../bmc-drivers/redfish/index.js';

// A tiny BMC that serves a vendor-shaped fixture and records what it was
// sent; each vendor test adds the behaviour that makes that BMC awkward.

type Json = Record<string, unknown>;
interface Recorded {
  method: string;
  path: string;
  body: unknown;
  rawBody: string;
}
interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
type Hook = (req: Recorded, fake: FakeBmc) => Answer | undefined;

class FakeBmc {
  readonly resources: Map<string, Json>;
  readonly requests: Recorded[] = [];
  private readonly server: http.Server;
  private hook: Hook = () => undefined;
  url = '';

  constructor(fixture: string) {
    const parsed = JSON.parse(
      readFileSync(new URL(`../../../fixtures/redfish/${fixture}`, import.meta.url), 'utf8'),
    ) as { resources: Record<string, Json> };
    this.resources = new Map(Object.entries(parsed.resources).map(([k, v]) => [k, v]));
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const path = (req.url ?? '/').split('?')[0]?.replace(/\/+$/, '') ?? '';
        let body: unknown;
        try {
          body = raw === '' ? undefined : JSON.parse(raw);
        } catch {
          body = Symbol.for('malformed');
        }
        const recorded: Recorded = { method: req.method ?? 'GET', path, body, rawBody: raw };
        this.requests.push(recorded);
        const answer = this.hook(recorded, this) ?? this.standard(recorded);
        res.writeHead(answer.status, { 'Content-Type': 'application/json', ...(answer.headers ?? {}) });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
    });
  }

  on(hook: Hook): void {
    this.hook = hook;
  }

  get(path: string): Json {
    const found = this.resources.get(path.replace(/\/+$/, ''));
    if (!found) throw new Error(`fixture has no ${path}`);
    return found;
  }

  sent(method: string, pathPart: string): Recorded[] {
    return this.requests.filter((r) => r.method === method && r.path.includes(pathPart));
  }

  private standard(req: Recorded): Answer {
    if (req.method === 'POST' && req.path.toLowerCase().endsWith('/sessions')) {
      return {
        status: 201,
        body: {},
        headers: { 'X-Auth-Token': 'tok', Location: '/redfish/v1/SessionService/Sessions/1' },
      };
    }
    if (req.method === 'DELETE') return { status: 204 };
    const resource = this.resources.get(req.path);
    if (req.method === 'GET')
      return resource
        ? { status: 200, body: resource }
        : { status: 404, body: { error: { code: 'Base.1.0.ResourceMissingAtURI', message: 'not found' } } };
    if (req.method === 'PATCH' && resource) {
      const patch = req.body as Json;
      for (const [k, v] of Object.entries(patch)) {
        resource[k] =
          typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...(resource[k] ?? {}), ...(v as Json) } : v;
      }
      return { status: 200, body: resource };
    }
    if (req.method === 'POST' && req.path.endsWith('VirtualMedia.InsertMedia')) {
      const media = this.get(req.path.replace(/\/Actions\/.*$/, ''));
      media.Image = (req.body as Json).Image;
      media.Inserted = true;
      return { status: 204 };
    }
    if (req.method === 'POST' && req.path.endsWith('VirtualMedia.EjectMedia')) {
      const media = this.get(req.path.replace(/\/Actions\/.*$/, ''));
      media.Image = null;
      media.Inserted = false;
      return { status: 204 };
    }
    if (req.method === 'POST' && req.path.endsWith('ComputerSystem.Reset')) return { status: 204 };
    return { status: 405, body: { error: { code: 'Base.1.0.GeneralError', message: `${req.method} not allowed` } } };
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const credentials = { username: 'root', password: 'calvin' };

async function open(fixture: string): Promise<{ bmc: FakeBmc; system: RedfishSystem }> {
  const bmc = new FakeBmc(fixture);
  await bmc.start();
  // A bare BMC address: the client must find the one system itself.
  const system = await connectRedfish(`redfish+${bmc.url}`, credentials, { timeoutMs: 3000 });
  return { bmc, system };
}

describe('Dell iDRAC', () => {
  let bmc: FakeBmc;
  let system: RedfishSystem;
  beforeAll(async () => ({ bmc, system } = await open('dell-idrac.json')));
  afterAll(async () => {
    await system.client.close();
    await bmc.stop();
  });

  it('resolves System.Embedded.1 from the bare BMC address', () => {
    expect(system).toMatchObject({
      path: '/redfish/v1/Systems/System.Embedded.1',
      id: 'System.Embedded.1',
      vendor: 'dell',
    });
  });

  it('inspects NICs (MACs lower-cased), colon-named drives and both sockets', async () => {
    const inv = await inspectHardware(system);
    expect(inv).toMatchObject({ vendor: 'Dell Inc.', model: 'PowerEdge R640', memoryMiB: 192 * 1024 });
    expect(inv.cpu).toMatchObject({ count: 2, cores: 32, threads: 64, arch: 'x86_64' });
    expect(inv.nics).toEqual([
      { id: 'NIC.Integrated.1-1-1', mac: 'e4:43:4b:10:20:30', linkUp: true, speedMbps: 10000 },
      { id: 'NIC.Integrated.1-2-1', mac: 'e4:43:4b:10:20:31', linkUp: false, speedMbps: 0 },
    ]);
    expect(inv.disks).toEqual([
      {
        id: 'Disk.Bay.0:Enclosure.Internal.0-1:RAID.Integrated.1-1',
        model: 'MZ7LH480HAHQ0D3',
        sizeBytes: 479559942144,
        type: 'ssd',
        serial: 'S45PNA0M512345',
      },
    ]);
  });

  it('does not send On to a server that is already on', async () => {
    bmc.on((req) =>
      req.path.endsWith('ComputerSystem.Reset')
        ? { status: 409, body: { error: { message: 'Server is already powered ON.' } } }
        : undefined,
    );
    expect(await setPowerState(system, 'power on')).toBeNull();
    expect(bmc.sent('POST', 'ComputerSystem.Reset')).toHaveLength(0);
    bmc.on(() => undefined);
  });

  it('finds the CD under the Manager, skipping RemovableDisk', async () => {
    const device = await insertVirtualMedia(system, 'http://10.0.0.1/boot.iso');
    expect(device).toMatchObject({ id: 'CD', owner: 'manager', inserted: true });
    expect(bmc.sent('POST', 'CD/Actions/VirtualMedia.InsertMedia')[0]?.body).toEqual({
      Image: 'http://10.0.0.1/boot.iso',
    });
  });

  it('follows a SimpleUpdate whose Location is the Task itself (200 + TaskState)', async () => {
    let polls = 0;
    bmc.on((req) => {
      if (req.path.endsWith('UpdateService.SimpleUpdate'))
        return { status: 202, headers: { Location: '/redfish/v1/TaskService/Tasks/JID_001' } };
      if (req.path === '/redfish/v1/TaskService/Tasks/JID_001') {
        polls += 1;
        return {
          status: 200,
          body: {
            Id: 'JID_001',
            TaskState: polls < 3 ? 'Running' : 'Completed',
            Messages: [{ Message: 'Job completed successfully.' }],
          },
        };
      }
      return undefined;
    });
    const outcome = await updateFirmware(system, 'http://10.0.0.1/BIOS_2.18.1.EXE', {
      pollIntervalMs: 10,
      timeoutMs: 3000,
    });
    expect(outcome).toMatchObject({ state: 'Completed', messages: ['Job completed successfully.'] });
    expect(polls).toBe(3);
    expect(await getFirmwareVersions(system)).toEqual({ bios: '2.17.1', bmc: '6.10.30.00' });
    bmc.on(() => undefined);
  });

  it('takes a SimpleUpdate the BMC applies at once (204, no task) as a success, aimed at the component by name', async () => {
    const registry = new BmcDriverRegistry({
      policy: { timeoutMs: 2000, attempts: 1, baseDelayMs: 5, maxDelayMs: 20 },
    });
    const driver = registry.fromAddress(`redfish+${bmc.url}/redfish/v1/Systems/System.Embedded.1`, credentials);
    let sent: unknown;
    bmc.on((req) => {
      if (!req.path.endsWith('UpdateService.SimpleUpdate')) return undefined;
      sent = req.body;
      return { status: 204 };
    });
    try {
      const firmware = requireInterface(driver, 'firmware');
      expect(await firmware.update('http://10.0.0.1/iDRAC_7.00.EXE', { component: 'bmc' })).toEqual({
        succeeded: true,
        state: 'Done',
        messages: [],
      });
      expect(sent).toMatchObject({ Targets: ['/redfish/v1/Managers/iDRAC.Embedded.1'] });
      await expect(firmware.update('http://10.0.0.1/x.bin', { component: 'gpu0' })).rejects.toThrow(
        /no firmware component gpu0/,
      );
    } finally {
      bmc.on(() => undefined);
      await driver.close();
    }
  });

  it("names firmware components as Ironic does: bios, bmc and nic:<adapter> from the chassis' network adapters", async () => {
    const systemPath = '/redfish/v1/Systems/System.Embedded.1';
    const original = bmc.resources.get(systemPath)!;
    const chassis = '/redfish/v1/Chassis/System.Embedded.1';
    bmc.resources.set(systemPath, {
      ...original,
      Links: { ...(original.Links as Json), Chassis: [{ '@odata.id': chassis }] },
    });
    bmc.resources.set(chassis, {
      Id: 'System.Embedded.1',
      NetworkAdapters: { '@odata.id': `${chassis}/NetworkAdapters` },
    });
    bmc.resources.set(`${chassis}/NetworkAdapters`, {
      Members: [
        { '@odata.id': `${chassis}/NetworkAdapters/NIC.Integrated.1` },
        { '@odata.id': `${chassis}/NetworkAdapters/NIC.Slot.2` },
        { '@odata.id': `${chassis}/NetworkAdapters/NIC.Slot.3` },
      ],
    });
    // An adapter with a serial number is named by it, as Ironic names NICs.
    bmc.resources.set(`${chassis}/NetworkAdapters/NIC.Slot.3`, {
      Id: 'NIC.Slot.3',
      SerialNumber: 'MXA12345',
      Controllers: [{ FirmwarePackageVersion: '14.32.1010' }],
    });
    bmc.resources.set(`${chassis}/NetworkAdapters/NIC.Integrated.1`, {
      Id: 'NIC.Integrated.1',
      Controllers: [{ FirmwarePackageVersion: '22.31.6' }],
    });
    // An adapter that reports no firmware version is not a component.
    bmc.resources.set(`${chassis}/NetworkAdapters/NIC.Slot.2`, { Id: 'NIC.Slot.2', Controllers: [{}] });
    try {
      expect(await getFirmwareComponents(system)).toEqual([
        { id: 'bios', name: 'bios', version: '2.17.1', updateable: true },
        { id: 'bmc', name: 'bmc', version: '6.10.30.00', updateable: true },
        { id: 'nic:NIC.Integrated.1', name: 'nic:NIC.Integrated.1', version: '22.31.6', updateable: true },
        { id: 'nic:MXA12345', name: 'nic:MXA12345', version: '14.32.1010', updateable: true },
      ]);
      expect(await firmwareTargetOf(system, 'nic:MXA12345')).toBe(`${chassis}/NetworkAdapters/NIC.Slot.3`);
    } finally {
      bmc.resources.set(systemPath, original);
    }
  });
});

describe('HPE iLO', () => {
  let bmc: FakeBmc;
  let system: RedfishSystem;
  beforeAll(async () => ({ bmc, system } = await open('hpe-ilo.json')));
  afterAll(async () => {
    await system.client.close();
    await bmc.stop();
  });

  it('detects HPE and inspects disks through SimpleStorage', async () => {
    expect(system).toMatchObject({ path: '/redfish/v1/systems/1', vendor: 'hpe' });
    const inv = await inspectHardware(system);
    expect(inv.disks).toEqual([
      { id: '0-0', model: 'MM1000GFJTE', sizeBytes: 1000204886016, type: null, serial: null },
    ]);
    expect(inv.nics).toEqual([{ id: '1', mac: '94:40:c9:aa:bb:01', linkUp: null, speedMbps: null }]);
  });

  it('stages BIOS changes at the lower-case bios/settings/ path the Bios names', async () => {
    await setBiosAttributes(system, { WorkloadProfile: 'Virtualization-MaxPerformance' });
    expect(bmc.sent('PATCH', '/redfish/v1/systems/1/bios/settings')[0]?.body).toEqual({
      Attributes: { WorkloadProfile: 'Virtualization-MaxPerformance' },
    });
  });

  it('picks the CD (Id 2) and ejects with a JSON body, which iLO requires', async () => {
    bmc.on((req) =>
      req.path.endsWith('VirtualMedia.EjectMedia') && req.rawBody === ''
        ? { status: 415, body: { error: { message: 'Unsupported media type' } } }
        : undefined,
    );
    expect((await insertVirtualMedia(system, 'https://10.0.0.1/ks.iso')).id).toBe('2');
    expect(await ejectVirtualMedia(system)).toBe(true);
    expect(bmc.get('/redfish/v1/managers/1/virtualmedia/2').Inserted).toBe(false);
    bmc.on(() => undefined);
  });

  it('uses the HpeiLOVirtualMedia OEM actions on iLO 4, which lacks the standard ones', async () => {
    const cd = bmc.get('/redfish/v1/managers/1/virtualmedia/2');
    delete cd.Actions;
    cd.Oem = {
      Hpe: {
        Actions: {
          '#HpeiLOVirtualMedia.InsertVirtualMedia': {
            target: '/redfish/v1/managers/1/virtualmedia/2/Actions/Oem/Hpe/HpeiLOVirtualMedia.InsertVirtualMedia/',
          },
          '#HpeiLOVirtualMedia.EjectVirtualMedia': {
            target: '/redfish/v1/managers/1/virtualmedia/2/Actions/Oem/Hpe/HpeiLOVirtualMedia.EjectVirtualMedia/',
          },
        },
      },
    };
    bmc.on((req) => {
      if (req.path.endsWith('HpeiLOVirtualMedia.InsertVirtualMedia')) {
        Object.assign(cd, { Image: (req.body as Json).Image, Inserted: true });
        return { status: 200, body: {} };
      }
      return undefined;
    });
    await insertVirtualMedia(system, 'http://10.0.0.1/ilo4.iso');
    expect(cd).toMatchObject({ Image: 'http://10.0.0.1/ilo4.iso', Inserted: true });
    bmc.on(() => undefined);
  });
});

describe('Supermicro X11', () => {
  let bmc: FakeBmc;
  let system: RedfishSystem;
  beforeAll(async () => ({ bmc, system } = await open('supermicro.json')));
  afterAll(async () => {
    await system.client.close();
    await bmc.stop();
  });

  it('boots virtual media as UsbCd and always sends BootSourceOverrideEnabled', async () => {
    bmc.on((req) =>
      req.method === 'PATCH' && !JSON.stringify(req.body).includes('BootSourceOverrideEnabled')
        ? { status: 400, body: { error: { message: 'BootSourceOverrideEnabled is required' } } }
        : undefined,
    );
    await setBootDevice(system, 'cdrom');
    expect(bmc.sent('PATCH', '/Systems/1')[0]?.body).toEqual({
      Boot: { BootSourceOverrideTarget: 'UsbCd', BootSourceOverrideEnabled: 'Once' },
    });
    bmc.on(() => undefined);
  });

  it('inserts without Inserted/WriteProtected and adds TransferProtocolType when asked', async () => {
    bmc.on((req) => {
      if (!req.path.endsWith('VirtualMedia.InsertMedia')) return undefined;
      const body = req.body as Json;
      if ('Inserted' in body || 'WriteProtected' in body)
        return { status: 400, body: { error: { message: 'unexpected property' } } };
      if (!('TransferProtocolType' in body)) {
        return {
          status: 400,
          body: {
            error: {
              code: 'Base.1.5.ActionParameterMissing',
              message: 'missing',
              '@Message.ExtendedInfo': [
                {
                  MessageId: 'Base.1.5.ActionParameterMissing',
                  Message: 'TransferProtocolType is missing',
                  RelatedProperties: ['#/TransferProtocolType'],
                },
              ],
            },
          },
        };
      }
      return undefined;
    });
    const device = await insertVirtualMedia(system, 'https://10.0.0.1/boot.iso');
    expect(device.inserted).toBe(true);
    expect(bmc.sent('POST', 'InsertMedia').map((r) => r.body)).toEqual([
      { Image: 'https://10.0.0.1/boot.iso' },
      { Image: 'https://10.0.0.1/boot.iso', TransferProtocolType: 'HTTPS' },
    ]);
    bmc.on(() => undefined);
  });
});

describe('Lenovo XCC', () => {
  let bmc: FakeBmc;
  let system: RedfishSystem;
  beforeAll(async () => ({ bmc, system } = await open('lenovo-xcc.json')));
  afterAll(async () => {
    await system.client.close();
    await bmc.stop();
  });

  it('attaches and detaches media by PATCH, with Inserted', async () => {
    bmc.on((req) =>
      req.method === 'PATCH' && req.path.endsWith('EXT1') && !('Inserted' in (req.body as Json))
        ? { status: 400, body: { error: { message: 'Inserted required' } } }
        : undefined,
    );
    const device = await insertVirtualMedia(system, 'http://10.0.0.1/boot.iso');
    expect(device).toMatchObject({ id: 'EXT1', inserted: true, image: 'http://10.0.0.1/boot.iso' });
    expect(bmc.sent('PATCH', 'EXT1')[0]?.body).toEqual({
      Image: 'http://10.0.0.1/boot.iso',
      Inserted: true,
      WriteProtected: true,
    });
    expect(await ejectVirtualMedia(system)).toBe(true);
    expect((await findVirtualMedia(system)).inserted).toBe(false);
    bmc.on(() => undefined);
  });

  it('leaves BootSourceOverrideEnabled out when it already has the wanted value', async () => {
    await setBootDevice(system, 'pxe');
    expect(bmc.sent('PATCH', '/Systems/1').at(-1)?.body).toEqual({ Boot: { BootSourceOverrideTarget: 'Pxe' } });
  });
});
