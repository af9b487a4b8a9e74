// Simulated hosts booting against stand-ins for Anvil's servers: the PXE
// sequence in order, the agent it boots, the installed OS it finds on its
// disk, a virtual-media boot, in-band inspection, and the faults.
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultBook, seededRandom } from '../../../../../sim/faults/index.js';
import { startSimFleet, type SimFleet } from '../../../../../sim/fleet-runner.js';
import { createFleet, type SimHost, type SimHostSnapshot } from '../../../../../sim/host/index.js';
import { eventually } from '../../support/eventually.js';
import { startFakeAnvil, type FakeAnvil } from '../../support/fake-anvil.js';
import { buildIso } from '../../support/iso-builder.js';
import { startTinyTftp, type TinyTftpServer } from '../../support/tftp-server.js';

const NODE = '0b9f3c1e-5d2a-4c8e-9f00-aa55aa55aa55';
const TOKEN = 'tok-1';
const kernel = randomBytes(200_000);
const ramdisk = randomBytes(300_000);
const image = Buffer.concat([randomBytes(100_000), Buffer.alloc(1_000_000)]);

let events: string[];
let tftp: TinyTftpServer;
let anvil: FakeAnvil;
let sim: SimFleet;
const faults = new FaultBook();

beforeAll(async () => {
  events = [];
  tftp = await startTinyTftp(
    new Map([
      ['ipxe.efi', randomBytes(3000)],
      ['undionly.kpxe', randomBytes(2000)],
    ]),
    events,
  );
  anvil = await startFakeAnvil(events);
  anvil.files.set('/ipa.kernel', kernel);
  anvil.files.set('/ipa.initramfs', ramdisk);
  anvil.files.set('/images/os.raw', image);
  sim = await startSimFleet({
    fleet: createFleet({ count: 6, seed: 11 }),
    faults,
    random: seededRandom(3),
    boot: {
      httpUrl: anvil.url,
      tftpServer: { host: '127.0.0.1', port: tftp.port },
      agent: { heartbeatIntervalMs: 40, lookupInitialMs: 10, lookupMaxMs: 40 },
      scriptSleepScale: 0.001,
    },
  });
});

afterEach(() => {
  for (const host of sim.fleet.hosts) {
    host.powerAction('ForceOff');
    faults.setHost(host.name, {});
  }
  anvil.node = null;
  anvil.heartbeats.length = 0;
  anvil.lookups.length = 0;
  events.length = 0;
});

afterAll(async () => {
  await sim.close();
  await anvil.close();
  await tftp.close();
});

function host(index: number): SimHost {
  const found = sim.fleet.hosts[index];
  if (found === undefined) throw new Error(`no host ${index}`);
  return found;
}

function mac(h: SimHost): string {
  return h.nics[0]?.mac ?? '';
}

function agentScript(h: SimHost, extra = ''): string {
  return `#!ipxe
kernel ${anvil.url}/ipa.kernel ipa-api-url=${anvil.url} BOOTIF=01-\${mac:hexhyp} nofb ${extra} || goto retry
initrd ${anvil.url}/ipa.initramfs || goto retry
boot
:retry
sleep 1
goto retry
`.replace('BOOTIF=01-${mac:hexhyp}', `BOOTIF=01-${mac(h).replaceAll(':', '-')}`);
}

async function console(h: SimHost): Promise<SimHostSnapshot & { faults: unknown }> {
  const res = await fetch(`${sim.redfish.url}/sim/v1/hosts/${h.name}`);
  return (await res.json()) as SimHostSnapshot & { faults: unknown };
}

async function agentCommand(
  callbackUrl: string,
  name: string,
  params: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${callbackUrl}/v1/commands/?wait=true&agent_token=${TOKEN}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, params }),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('network boot', () => {
  it('boots in order: TFTP boot file, iPXE script, kernel and initrd ranges, lookup until found, heartbeats', async () => {
    const h = host(0);
    anvil.scripts.set(mac(h), agentScript(h));
    anvil.node = { uuid: NODE, token: TOKEN, heartbeatTimeout: 300 };
    anvil.lookupMisses = 2;
    h.setBootOverride({ target: 'pxe', enabled: 'once', mode: 'uefi' });
    h.powerAction('On');
    await eventually(() => anvil.heartbeats.length >= 3, 'three heartbeats');

    const sequence = events.filter(
      (e) => !e.startsWith('POST /v1/heartbeat') || e === events.find((x) => x.startsWith('POST /v1/heartbeat')),
    );
    expect(sequence.slice(0, 8)).toEqual([
      'tftp ipxe.efi blksize=1468',
      `GET /boot/${mac(h)}.ipxe`,
      'GET /ipa.kernel bytes=0-65535',
      'GET /ipa.initramfs bytes=0-65535',
      'GET /v1/lookup',
      'GET /v1/lookup',
      'GET /v1/lookup',
      `POST /v1/heartbeat/${NODE}`,
    ]);
    expect(anvil.heartbeats[0]?.body).toMatchObject({
      agent_token: TOKEN,
      agent_status: 'start',
      agent_version: '9.x (anvil-sim)',
      agent_verify_ca: false,
    });

    const seen = await console(h);
    expect(seen.bootSteps.map((s) => [s.kind, s.outcome])).toEqual([
      ['firmware', 'ok'],
      ['tftp', 'ok'],
      ['script', 'ok'],
      ['kernel', 'ok'],
      ['initrd', 'ok'],
      ['agent', 'ok'],
      ['lookup', 'ok'],
      ['heartbeat', 'ok'],
    ]);
    expect(seen.bootSteps.find((s) => s.kind === 'tftp')?.source).toBe(`tftp://127.0.0.1:${tftp.port}/ipxe.efi`);
    expect(seen.bootSteps.find((s) => s.kind === 'kernel')?.detail).toBe(
      `HTTP 206, 65536 bytes read of ${kernel.length}`,
    );
    expect(seen.bootSteps.find((s) => s.kind === 'lookup')?.detail).toMatch(
      new RegExp(`node ${NODE}, heartbeat_timeout 300 s, agent token received \\(attempt 3\\)`),
    );
  });

  it('fetches undionly.kpxe for a legacy BIOS boot', async () => {
    const h = host(1);
    anvil.scripts.set(mac(h), '#!ipxe\nexit\n');
    h.setBootOverride({ target: 'pxe', enabled: 'once', mode: 'legacy' });
    h.powerAction('On');
    await eventually(() => h.bootSteps.some((s) => s.kind === 'os'), 'the fall-through to the disk');
    expect(events.find((e) => e.startsWith('tftp'))).toBe('tftp undionly.kpxe blksize=1468');
    // exit goes back to the firmware, whose next device is a disk with nothing on it.
    expect(h.bootSteps.at(-1)).toMatchObject({
      kind: 'os',
      outcome: 'failed',
      detail: 'no bootable device: the disk holds no operating system',
    });
  });

  it('deploys through the agent, then boots the installed OS from disk, which sees its config drive', async () => {
    const h = host(2);
    anvil.scripts.set(mac(h), agentScript(h));
    anvil.node = { uuid: NODE, token: TOKEN, heartbeatTimeout: 300 };
    h.setBootOverride({ target: 'pxe', enabled: 'continuous', mode: 'uefi' });
    h.powerAction('On');
    const callbackUrl = await eventually(
      () => anvil.heartbeats[0]?.body.callback_url as string | undefined,
      'a heartbeat',
    );
    const iso = buildIso({
      'openstack/latest/meta_data.json': JSON.stringify({ uuid: NODE, hostname: 'node-2' }),
      'openstack/latest/network_data.json': JSON.stringify({
        links: [{ id: 'l0', ethernet_mac_address: mac(h) }],
        networks: [
          {
            type: 'ipv4',
            link: 'l0',
            ip_address: '198.51.100.7/25',
            routes: [{ network: '0.0.0.0', gateway: '198.51.100.1' }],
          },
        ],
      }),
    });
    const sha256 = createHash('sha256').update(image).digest('hex');
    const write = await agentCommand(callbackUrl, 'deploy.execute_deploy_step', {
      step: {
        step: 'write_image',
        interface: 'deploy',
        args: {
          image_info: {
            id: 'os-1',
            urls: [`${anvil.url}/images/os.raw`],
            os_hash_algo: 'sha256',
            os_hash_value: sha256,
          },
          configdrive: gzipSync(iso).toString('base64'),
        },
      },
    });
    expect(write.command_status).toBe('SUCCEEDED');
    const teardown = await agentCommand(callbackUrl, 'deploy.execute_deploy_step', {
      step: { step: 'tear_down_agent', interface: 'deploy' },
    });
    expect(teardown.command_status).toBe('SUCCEEDED');
    await eventually(() => h.power === 'Off', 'tear_down_agent to power the host off');
    await expect(fetch(`${callbackUrl}/v1/commands/`)).rejects.toThrow();

    // Active: Anvil now renders a local boot for this host.
    anvil.scripts.set(mac(h), '#!ipxe\nsanboot --no-describe --drive 0x80\n');
    h.powerAction('On');
    await eventually(() => h.os?.running, 'the OS to boot');
    const seen = await console(h);
    expect(seen.disk).toMatchObject({ sha256, bytes: image.length, imageUrl: `${anvil.url}/images/os.raw` });
    expect(seen.os).toMatchObject({
      running: true,
      hostname: 'node-2',
      uuid: NODE,
      addresses: [{ mac: mac(h), address: '198.51.100.7', prefix: 25, family: 'ipv4', gateway: '198.51.100.1' }],
    });
    expect(seen.bootSteps.at(-1)).toMatchObject({ kind: 'os', outcome: 'ok' });
    h.powerAction('ForceOff');
    expect(h.os?.running).toBe(false);
  });

  it('boots a virtual-media ISO with no DHCP or TFTP, taking the agent parameters from its grub.cfg', async () => {
    const h = host(3);
    anvil.node = { uuid: NODE, token: TOKEN, heartbeatTimeout: 300 };
    const iso = buildIso({
      'EFI/BOOT/grub.cfg': `set timeout=5\nmenuentry "agent" {\n  linux /vmlinuz ipa-api-url=${anvil.url} nofb\n  initrd /initrd\n}\n`,
      vmlinuz: kernel.subarray(0, 4096),
    });
    anvil.files.set('/redfish/boot-3.iso', iso);
    h.insertMedia(`${anvil.url}/redfish/boot-3.iso`);
    h.setBootOverride({ target: 'cd', enabled: 'once', mode: 'uefi' });
    h.powerAction('On');
    await eventually(() => anvil.heartbeats.length > 0, 'a heartbeat');
    expect(events.some((e) => e.startsWith('tftp'))).toBe(false);
    expect(events.filter((e) => e.startsWith('GET /redfish/boot-3.iso bytes=')).length).toBeGreaterThan(2);
    expect(h.bootSteps.find((s) => s.kind === 'media')?.detail).toMatch(/kernel parameters from EFI\/BOOT\/grub\.cfg/);
    h.ejectMedia();
  });

  it('posts the inventory in an inspection boot, then looks up with the node the answer named', async () => {
    const h = host(4);
    anvil.node = { uuid: NODE, token: TOKEN, heartbeatTimeout: 300 };
    anvil.inspections.length = 0;
    anvil.scripts.set(mac(h), agentScript(h, `ipa-inspection-callback-url=${anvil.url}/v1/continue_inspection`));
    h.setBootOverride({ target: 'pxe', enabled: 'once', mode: 'uefi' });
    h.powerAction('On');
    await eventually(() => anvil.heartbeats.length > 0, 'a heartbeat');
    const posted = anvil.inspections[0] as { inventory: Record<string, unknown>; boot_interface: string };
    expect(posted.boot_interface).toBe(`01-${mac(h).replaceAll(':', '-')}`);
    expect(posted.inventory).toMatchObject({
      interfaces: h.nics.map((n) => ({ mac_address: n.mac, has_carrier: n.link === 'up' })),
      cpu: { architecture: 'x86_64', count: 32 },
      memory: { physical_mb: h.memoryMiB },
      disks: h.disks.map((d) => ({ size: d.sizeBytes, serial: d.serial })),
      system_vendor: { manufacturer: h.vendor, serial_number: h.serial },
      bmc_address: '127.0.0.1',
      boot: { current_boot_mode: 'uefi', pxe_interface: mac(h) },
    });
    const inspected = events.indexOf('POST /v1/continue_inspection');
    expect(events.indexOf('GET /v1/lookup')).toBeGreaterThan(inspected);
    const lookup = anvil.lookups.at(-1);
    expect(lookup?.get('node_uuid')).toBe(NODE);
    expect(lookup?.get('addresses')).toBe(h.nics.map((n) => n.mac).join(','));
  });
});

describe('boot faults', () => {
  it('a boot failure (bootFailureRate) fetches nothing', async () => {
    const h = host(5);
    faults.setHost(h.name, { bootFailureRate: 1 });
    const res = await fetch(`${sim.redfish.url}/redfish/v1/Systems/${h.name}/Actions/ComputerSystem.Reset`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Basic ${Buffer.from('admin:password').toString('base64')}`,
      },
      body: JSON.stringify({ ResetType: 'On' }),
    });
    expect(res.status).toBeLessThan(300);
    await eventually(() => h.bootSteps.length > 0, 'a boot step');
    expect(h.bootSteps.at(-1)).toMatchObject({ kind: 'firmware', outcome: 'failed' });
    expect(events).toEqual([]);
  });

  it('an agent crash stops heartbeats and answers, until the host is reset with the fault cleared', async () => {
    const h = host(0);
    anvil.scripts.set(mac(h), agentScript(h));
    anvil.node = { uuid: NODE, token: TOKEN, heartbeatTimeout: 300 };
    h.setBootOverride({ target: 'pxe', enabled: 'continuous', mode: 'uefi' });
    h.powerAction('On');
    const callbackUrl = await eventually(
      () => anvil.heartbeats[0]?.body.callback_url as string | undefined,
      'a heartbeat',
    );
    faults.setHost(h.name, { agentCrash: true });
    await eventually(() => h.bootSteps.some((s) => s.kind === 'agent' && s.outcome === 'failed'), 'the crash');
    const after = anvil.heartbeats.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(anvil.heartbeats.length).toBe(after);
    await expect(fetch(`${callbackUrl}/v1/commands/`)).rejects.toThrow();
    expect(h.bootSteps.at(-1)?.detail).toMatch(/agent crashed \(agentCrash fault\)/);

    faults.setHost(h.name, {});
    h.powerAction('ForceRestart');
    await eventually(() => anvil.heartbeats.length > after, 'heartbeats from the new agent');
  });
});
