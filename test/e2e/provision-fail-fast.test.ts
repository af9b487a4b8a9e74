// Issue 13's fail-fast Proofs: a step that cannot start (no agent kernel and
// ramdisk, a boot file its server does not have, a config drive the agent
// could not write, a virtual-media deploy without its ISO) answers at once,
// with a last_error a person can act on, in Ironic's failure state, and
// without the machine having been touched; instead of powering it on into
// a boot with nothing to boot and waiting out the 30-minute callback
// timeout; likewise a network boot of a node with no port DHCP would answer. A retry after fixing the input reaches the goal.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimHostSnapshot } from '../../sim/host/index.js';
import { faultOf, type TestService } from '../support/service.js';
import { drive, historyEvents, provision, reaches, simHost } from './sim-nodes.js';
import {
  bootLog,
  createPool,
  deploy,
  enrollForDeploy,
  osRunning,
  setImage,
  startProvisionRig,
  type ProvisionRig,
} from './provision-rig.js';

const POOL = 'fail-fast';
/** "At once": the conductor's next look at the node, far below any callback timeout (left at its 30-minute default). */
const AT_ONCE_MS = 5_000;

let rig: ProvisionRig;

beforeAll(async () => {
  rig = await startProvisionRig({
    hosts: 5,
    seed: 131,
    // The agent ISO below is opaque bytes: the sim boots it with these parameters, as provision-vmedia does without GRUB.
    mediaKernelParams: (svc: TestService) => [`ipa-api-url=${svc.url}`, 'nofb', 'nomodeset'],
  });
  await createPool(rig.svc, POOL, '127.131.0.0');
});

afterAll(async () => {
  await rig?.close();
});

async function patch(uuid: string, ops: Record<string, unknown>[]): Promise<void> {
  const res = await rig.svc.request('PATCH', `/v1/nodes/${uuid}`, ops);
  expect(res.status, res.text).toBe(200);
}

/** What the machine looks like before a request, to show afterwards that nothing was done to it. */
async function look(name: string): Promise<{ since: string; seen: SimHostSnapshot }> {
  return { since: new Date().toISOString(), seen: await simHost(rig.sim, name) };
}

/** Neither power, boot device nor virtual media was touched since `before`, and nothing booted. */
async function untouched(name: string, before: { since: string; seen: SimHostSnapshot }): Promise<void> {
  const now = await simHost(rig.sim, name);
  const changes = now.history
    .filter((c) => c.at >= before.since)
    .map((c) => c.command)
    .filter((c) => !c.startsWith('GET ') && !c.startsWith('IPMI Get '));
  expect(changes, bootLog(now)).toEqual([]);
  expect(now.power).toBe(before.seen.power);
  expect(now.bootCount).toBe(before.seen.bootCount);
  expect(now.media).toEqual(before.seen.media);
}

/** The request was accepted (202) and the node failed into `state` within AT_ONCE_MS; gives its last_error. */
async function failsAtOnce(uuid: string, body: Record<string, unknown>, state: string, version?: string) {
  const started = Date.now();
  const res = await provision(rig.svc, uuid, body, version);
  expect(res.status, res.text).toBe(202);
  const node = await reaches(rig.svc, uuid, state, AT_ONCE_MS);
  expect(Date.now() - started).toBeLessThan(AT_ONCE_MS);
  expect(node.target_provision_state).toBeNull();
  return node.last_error as string;
}

describe('a step that cannot start', () => {
  it('fails cleaning at once when driver_info names no agent kernel and ramdisk, and cleans once they are set', async () => {
    const { uuid, host } = await enrollForDeploy(rig, 0, 'ipmi', POOL);
    await patch(uuid, [
      { op: 'remove', path: '/driver_info/deploy_kernel' },
      { op: 'remove', path: '/driver_info/deploy_ramdisk' },
    ]);
    await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');

    const before = await look(host.name);
    expect(await failsAtOnce(uuid, { target: 'provide' }, 'clean failed')).toBe(
      `Failed to prepare node ${uuid} for cleaning: Cannot validate PXE bootloader. Some parameters were missing in node's driver_info. Missing are: ['deploy_kernel', 'deploy_ramdisk']`,
    );
    await untouched(host.name, before);
    expect(await historyEvents(rig.svc, uuid)).not.toContain('cleaning -> clean wait (wait)');

    await patch(uuid, [
      { op: 'add', path: '/driver_info/deploy_kernel', value: rig.deployImages.deploy_kernel },
      { op: 'add', path: '/driver_info/deploy_ramdisk', value: rig.deployImages.deploy_ramdisk },
    ]);
    await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');
    const node = await drive(rig.svc, uuid, { target: 'provide' }, 'available', 30_000);
    expect(node.last_error).toBeNull();
    const seen = await simHost(rig.sim, host.name);
    expect(
      seen.bootSteps.some(
        (s) => s.kind === 'command' && s.source.includes('erase_devices_metadata') && s.outcome === 'ok',
      ),
      bootLog(seen),
    ).toBe(true);
  });

  it('fails cleaning at once when no port may network-boot, and cleans once one may', async () => {
    const { uuid, host } = await enrollForDeploy(rig, 4, 'redfish', POOL);
    const ports = (await rig.svc.request('GET', `/v1/nodes/${uuid}/ports?fields=uuid,pxe_enabled`)).body.ports as {
      uuid: string;
      pxe_enabled: boolean;
    }[];
    const bootable = ports.find((p) => p.pxe_enabled)!;
    const setPxe = async (value: boolean) => {
      const res = await rig.svc.request('PATCH', `/v1/ports/${bootable.uuid}`, [
        { op: 'replace', path: '/pxe_enabled', value },
      ]);
      expect(res.status, res.text).toBe(200);
    };
    await setPxe(false);
    await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');

    const before = await look(host.name);
    expect(await failsAtOnce(uuid, { target: 'provide' }, 'clean failed')).toBe(
      `Failed to prepare node ${uuid} for cleaning: Node ${uuid} does not have any port associated with it.`,
    );
    await untouched(host.name, before);

    // A port's connectivity may change only in manageable (Ironic's rule), so back there first.
    await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');
    await setPxe(true);
    const node = await drive(rig.svc, uuid, { target: 'provide' }, 'available', 30_000);
    expect(node.last_error).toBeNull();
  });

  it('fails agent inspection at once when the boot server has no such kernel, and inspects once the URL is right', async () => {
    const { uuid, host } = await enrollForDeploy(rig, 1, 'redfish', POOL, { inspect_interface: 'agent' });
    const typo = `${rig.svc.bootUrl}/boot-files/ipa.kernl`;
    await patch(uuid, [{ op: 'replace', path: '/driver_info/deploy_kernel', value: typo }]);
    await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');

    const before = await look(host.name);
    expect(await failsAtOnce(uuid, { target: 'inspect' }, 'inspect failed')).toBe(
      `Failed to inspect hardware. Reason: unable to start inspection: Validation of image href ${typo} failed, reason: Got HTTP code 404 instead of 200 in response to HEAD request.`,
    );
    await untouched(host.name, before);

    await patch(uuid, [
      { op: 'replace', path: '/driver_info/deploy_kernel', value: `${rig.svc.bootUrl}/boot-files/ipa.kernel` },
    ]);
    const node = await drive(rig.svc, uuid, { target: 'inspect' }, 'manageable', 30_000);
    const seen = await simHost(rig.sim, host.name);
    expect(node.last_error, bootLog(seen)).toBeNull();
    expect(
      seen.bootSteps.some((s) => s.kind === 'inspection' && s.outcome === 'ok'),
      bootLog(seen),
    ).toBe(true);
    const stored = await rig.svc.request('GET', `/v1/nodes/${uuid}/inventory`, undefined, '1.81');
    expect(stored.status).toBe(200);
    // The NIC the agent booted from (its BOOTIF) is the PXE one, as baremetal-operator reads it.
    const nics = Object.values(stored.body.plugin_data.all_interfaces as Record<string, any>);
    expect(nics.filter((n) => n.pxe_enabled).map((n) => n.mac_address)).toEqual([host.macs[0]]);
  });

  it('refuses a config drive string that is neither gzip+base64 nor a URL with 400, fails a stored one at once, and deploys with a good one', async () => {
    const { uuid, host } = await enrollForDeploy(rig, 2, 'redfish', POOL, { automated_clean: false });
    await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');
    await drive(rig.svc, uuid, { target: 'provide' }, 'available');
    await setImage(rig.svc, uuid, rig.image);
    const lead =
      'Invalid configdrive format: a config drive string must be a gzipped, base64-encoded image or an http(s) URL';

    const before = await look(host.name);
    const refused = await provision(rig.svc, uuid, { target: 'active', configdrive: '#cloud-config\nhostname: x\n' });
    expect(refused.status, refused.text).toBe(400);
    expect(faultOf(refused)).toBe(`${lead} (this one is not base64).`);
    const still = (await rig.svc.request('GET', `/v1/nodes/${uuid}`)).body;
    expect(still).toMatchObject({ provision_state: 'available', last_error: null, target_provision_state: null });

    // Ironic also takes the config drive from instance_info: one stored there is checked before the agent boots.
    await patch(uuid, [
      {
        op: 'add',
        path: '/instance_info/configdrive',
        value: Buffer.from('config-2, not gzipped').toString('base64'),
      },
    ]);
    expect(await failsAtOnce(uuid, { target: 'active' }, 'deploy failed')).toBe(
      `Failed to prepare to deploy: ${lead} (this one is not gzip data).`,
    );
    await untouched(host.name, before);

    // The retry's config drive (the JSON form) replaces the stored one.
    const node = await deploy(rig.svc, uuid, 'cd-fixed');
    expect(node.last_error).toBeNull();
    const seen = await osRunning(rig, host.name);
    expect(seen.os?.hostname).toBe('cd-fixed');
  });

  it('fails a virtual-media deploy at once without an agent ISO URL that exists (or images to build one), and deploys once it does', async () => {
    const { uuid, host } = await enrollForDeploy(rig, 3, 'redfish', POOL, {
      boot_interface: 'redfish-virtual-media',
      automated_clean: false,
    });
    // Nothing answers this host over the network: no lease for the DHCP stand-in.
    rig.leases.delete(host.macs[0]!);
    await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');
    await drive(rig.svc, uuid, { target: 'provide' }, 'available');
    await setImage(rig.svc, uuid, rig.image);
    const isoUrl = `${rig.svc.bootUrl}/images/agent.iso`;
    // Neither an ISO nor the agent images Anvil would build one from.
    await patch(uuid, [
      { op: 'remove', path: '/driver_info/deploy_kernel' },
      { op: 'remove', path: '/driver_info/deploy_ramdisk' },
    ]);

    const before = await look(host.name);
    const attempts: [string | null, string][] = [
      [
        null,
        `Failed to validate deploy or power info for node ${uuid}: Error validating Redfish virtual media. Some parameters were missing in node's driver_info. Missing are: ['deploy_kernel', 'deploy_ramdisk']`,
      ],
      [
        'agent.iso',
        `Failed to validate deploy or power info for node ${uuid}: Validation of image href agent.iso failed, reason: It is not an http(s) URL; driver_info/deploy_iso must be an http(s) URL the BMC can fetch.`,
      ],
      [
        isoUrl,
        `Failed to prepare to deploy: Validation of image href ${isoUrl} failed, reason: Got HTTP code 404 instead of 200 in response to HEAD request.`,
      ],
    ];
    for (const [iso, error] of attempts) {
      if (iso !== null) await patch(uuid, [{ op: 'add', path: '/driver_info/deploy_iso', value: iso }]);
      // From available the first time, from deploy failed after.
      expect(await failsAtOnce(uuid, { target: 'active' }, 'deploy failed'), String(iso)).toBe(error);
    }
    await untouched(host.name, before);

    writeFileSync(path.join(rig.svc.dataDir, 'images', 'agent.iso'), randomBytes(64 * 1024));
    const node = await deploy(rig.svc, uuid, 'vm-fixed');
    expect(node.last_error).toBeNull();
    const seen = await osRunning(rig, host.name);
    expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
    expect(seen.os?.hostname).toBe('vm-fixed');
  });
});
