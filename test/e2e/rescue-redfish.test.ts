// Rescue through the agent on the sims: an active host is powered off and
// network-boots the rescue ramdisk (rescue_kernel/rescue_ramdisk over TFTP,
// the iPXE script and HTTP), its agent looks up and heartbeats, and is handed
// the hash of the rescue password (rescue.finalize_rescue); the plain
// password is never stored or shown. Unrescue boots the instance from the
// same disk again. A virtual media host boots an ISO built from the rescue
// images instead, ejected at unrescue. A rescue whose agent never comes is aborted, or times
// out, to `rescue failed`; a rescue that cannot start is a 400 at once.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashRescuePassword, saltOf } from '../../services/rescue/index.js';
import { requireTool } from '../interop/tools.js';
import { faultOf } from '../support/service.js';
import { provision, reaches, setHostFaults, simHost, type BmcProtocol } from './sim-nodes.js';
import {
  bootLog,
  createPool,
  deploy,
  detailedHistory,
  enrollForDeploy,
  osRunning,
  setImage,
  startProvisionRig,
  type ProvisionRig,
} from './provision-rig.js';

/** Long enough for a rescue ramdisk to boot and heartbeat, short enough to be waited out once. */
const RESCUE_TIMEOUT_S = 10;
const RESCUE_IMAGES = { rescue_kernel: 'rescue.kernel', rescue_ramdisk: 'rescue.initramfs' };
/** The virtual media host's rescue ISO is built with Debian's grub-mkrescue (CI fails without it). */
const canBuildIso = requireTool('grub-mkrescue');

let rig: ProvisionRig;
const nodes: Record<BmcProtocol, { uuid: string; host: string }> = {} as never;
/** A Redfish host booted over virtual media only: its rescue ISO is built from the rescue images. */
let vmedia: { uuid: string; host: string };

beforeAll(async () => {
  rig = await startProvisionRig({
    hosts: 3,
    seed: 121,
    env: { ANVIL_RESCUE_CALLBACK_TIMEOUT: String(RESCUE_TIMEOUT_S) },
  });
  const bootFiles = path.join(rig.svc.dataDir, 'boot');
  writeFileSync(path.join(bootFiles, RESCUE_IMAGES.rescue_kernel), randomBytes(5 * 1024));
  writeFileSync(path.join(bootFiles, RESCUE_IMAGES.rescue_ramdisk), randomBytes(7 * 1024));
  await createPool(rig.svc, 'rescue', '127.121.0.0');
  await Promise.all(
    (canBuildIso ? (['redfish', 'ipmi', 'vmedia'] as const) : (['redfish', 'ipmi'] as const)).map(
      async (kind, index) => {
        const protocol = kind === 'vmedia' ? 'redfish' : kind;
        const { uuid, host } = await enrollForDeploy(rig, index, protocol, 'rescue', {
          automated_clean: false,
          rescue_interface: 'agent',
          driver_info: RESCUE_IMAGES,
          ...(kind === 'vmedia' ? { boot_interface: 'redfish-virtual-media' } : {}),
        });
        // Nothing answers the virtual media host over the network: every boot of its agents is from an ISO.
        if (kind === 'vmedia') {
          rig.leases.delete(host.macs[0]!);
          vmedia = { uuid, host: host.name };
        } else {
          nodes[kind] = { uuid, host: host.name };
        }
        for (const [target, state] of [
          ['manage', 'manageable'],
          ['provide', 'available'],
        ] as const) {
          const res = await provision(rig.svc, uuid, { target });
          expect(res.status, res.text).toBe(202);
          await reaches(rig.svc, uuid, state, 30_000);
        }
        await setImage(rig.svc, uuid, rig.image);
        const node = await deploy(rig.svc, uuid, `rescue-${kind}`);
        expect(node.last_error).toBeNull();
        await osRunning(rig, host.name);
      },
    ),
  );
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

async function request(uuid: string, body: Record<string, unknown>) {
  return provision(rig.svc, uuid, body, '1.38');
}

async function rescueTo(uuid: string, password: string, state: string): Promise<Record<string, any>> {
  const res = await request(uuid, { target: 'rescue', rescue_password: password });
  expect(res.status, res.text).toBe(202);
  return reaches(rig.svc, uuid, state, 30_000);
}

async function nodeText(uuid: string): Promise<string> {
  const res = await rig.svc.request('GET', `/v1/nodes/${uuid}`);
  expect(res.status, res.text).toBe(200);
  return res.text;
}

describe.each(['redfish', 'ipmi'] as const)('rescue of an active %s host through the agent', (protocol) => {
  it('boots the rescue ramdisk over the network and hands its agent the password hash; unrescue brings the OS back from the same disk', async () => {
    const { uuid, host } = nodes[protocol];
    const password = `Rescue-${protocol}-${randomBytes(6).toString('hex')}`;
    const before = await simHost(rig.sim, host);
    const mark = before.bootSteps.length;

    const rescued = await rescueTo(uuid, password, 'rescue');
    expect(rescued.last_error).toBeNull();
    expect(rescued.power_state).toBe('power on');
    // Ironic forgets the password and its hash once the agent has it; the agent's session is over.
    expect(rescued.instance_info.rescue_password).toBeUndefined();
    expect(rescued.instance_info.hashed_rescue_password).toBeUndefined();
    expect(rescued.instance_info.image_source).toBe(rig.image.url);
    expect(rescued.driver_internal_info.agent_url).toBeUndefined();

    const seen = await simHost(rig.sim, host);
    const since = seen.bootSteps.slice(mark);
    // The machine network-booted the rescue kernel and ramdisk, not the deploy ones.
    expect(
      since.some(
        (s) => s.kind === 'kernel' && s.source.endsWith(`/${RESCUE_IMAGES.rescue_kernel}`) && s.outcome === 'ok',
      ),
      bootLog(seen, 30),
    ).toBe(true);
    expect(
      since.some(
        (s) => s.kind === 'initrd' && s.source.endsWith(`/${RESCUE_IMAGES.rescue_ramdisk}`) && s.outcome === 'ok',
      ),
    ).toBe(true);
    expect(since.some((s) => s.source.includes('ipa.kernel'))).toBe(false);
    expect(since.some((s) => s.kind === 'tftp' && s.outcome === 'ok')).toBe(true);
    expect(since.some((s) => s.kind === 'command' && s.source === 'rescue.finalize_rescue' && s.outcome === 'ok')).toBe(
      true,
    );

    // The rescue user got a SHA-256-crypt hash of the password, never the password itself.
    expect(seen.rescue).toMatchObject({ running: true, hashed: true });
    const hash = seen.rescue!.password;
    expect(hash).toMatch(/^\$5\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{43}$/);
    expect(hashRescuePassword(password, saltOf(hash)!)).toBe(hash);

    // The agent stopped heartbeating and closed its API after finalize_rescue.
    const lastAgentStep = since.filter((s) => s.kind === 'agent').at(-1);
    expect(lastAgentStep?.detail).toMatch(/^rescue finalized: API closed and heartbeats stopped/);
    const quiet = (await simHost(rig.sim, host)).bootSteps.length;
    await new Promise((r) => setTimeout(r, 600));
    const later = await simHost(rig.sim, host);
    expect(later.bootSteps.slice(quiet).filter((s) => s.kind === 'heartbeat')).toEqual([]);
    expect((await rig.svc.request('GET', `/v1/nodes/${uuid}`)).body.provision_state).toBe('rescue');

    // The plain password is nowhere Anvil shows: not the node, not its history.
    expect(await nodeText(uuid)).not.toContain(password);
    expect(JSON.stringify(await detailedHistory(rig.svc, uuid))).not.toContain(password);

    // Unrescue: the instance boots from its disk again, with what the deploy wrote on it.
    const res = await request(uuid, { target: 'unrescue' });
    expect(res.status, res.text).toBe(202);
    const active = await reaches(rig.svc, uuid, 'active', 30_000);
    expect(active.last_error).toBeNull();
    expect(active.power_state).toBe('power on');
    const back = await osRunning(rig, host, before.os?.bootedAt ?? null);
    expect(back.disk?.sha256).toBe(rig.image.sha256);
    expect(back.os?.hostname).toBe(`rescue-${protocol}`);
    expect(back.rescue?.running).toBe(false);
    expect(back.lastBoot?.device).toBe('hdd');
  }, 60_000);
});

describe('rescue of an active host over virtual media', () => {
  it.skipIf(!canBuildIso)(
    'boots an ISO Anvil built from the rescue kernel and ramdisk, ejected once the rescue is finalized; unrescue boots the disk',
    async () => {
      const { uuid, host } = vmedia;
      const before = await simHost(rig.sim, host);
      const mark = before.bootSteps.length;
      const rescued = await rescueTo(uuid, `Vm-${randomBytes(6).toString('hex')}`, 'rescue');
      expect(rescued.last_error).toBeNull();
      const seen = await simHost(rig.sim, host);
      const since = seen.bootSteps.slice(mark);
      const iso = `${rig.svc.bootUrl}/boot-files/vmedia/boot-${uuid}.iso`;
      expect(
        since.filter((s) => s.kind === 'media').map((s) => [s.source, s.outcome]),
        bootLog(seen, 30),
      ).toEqual([[iso, 'ok']]);
      expect(since.some((s) => s.kind === 'tftp' || s.kind === 'dhcp')).toBe(false);
      expect(
        since.some((s) => s.kind === 'command' && s.source === 'rescue.finalize_rescue' && s.outcome === 'ok'),
      ).toBe(true);
      // The rescue ramdisk runs from memory: its ISO left the drive and the boot server once it was finalized.
      expect(seen.media.inserted).toBe(false);
      expect(seen.rescue).toMatchObject({ running: true });
      expect(existsSync(path.join(rig.svc.dataDir, 'boot', 'vmedia', `boot-${uuid}.iso`))).toBe(false);

      const res = await request(uuid, { target: 'unrescue' });
      expect(res.status, res.text).toBe(202);
      expect((await reaches(rig.svc, uuid, 'active', 30_000)).last_error).toBeNull();
      const back = await osRunning(rig, host, before.os?.bootedAt ?? null);
      expect(back.media.inserted).toBe(false);
      expect(back.disk?.sha256).toBe(rig.image.sha256);
      expect(back.os?.hostname).toBe('rescue-vmedia');
      expect(existsSync(path.join(rig.svc.dataDir, 'boot', 'vmedia', `boot-${uuid}.iso`))).toBe(false);
    },
    60_000,
  );
});

describe('a rescue whose agent never calls back', () => {
  it('is aborted in rescue wait to rescue failed, powered off, its password forgotten; rescued again once the agent works', async () => {
    const { uuid, host } = nodes.redfish;
    await setHostFaults(rig.sim, host, { agentCrash: true });
    try {
      const waiting = await rescueTo(uuid, 'never-used-1', 'rescue wait');
      expect(waiting.instance_info.rescue_password).toBeUndefined();
      // Only the hash is kept while the agent is awaited, and it is masked like every secret.
      expect(waiting.instance_info.hashed_rescue_password).toBe('******');
      const res = await request(uuid, { target: 'abort' });
      expect(res.status, res.text).toBe(202);
      const failed = await reaches(rig.svc, uuid, 'rescue failed', 30_000);
      expect(failed.last_error).toBe('Rescue operation aborted by request.');
      expect(failed.power_state).toBe('power off');
      expect(failed.instance_info.hashed_rescue_password).toBeUndefined();
      expect((await simHost(rig.sim, host)).power).toBe('Off');
    } finally {
      await setHostFaults(rig.sim, host, {});
    }
    // From rescue failed, a rescue with a working agent goes through, and unrescue back to active.
    const rescued = await rescueTo(uuid, 'second-try-2', 'rescue');
    expect(rescued.last_error).toBeNull();
    expect((await simHost(rig.sim, host)).rescue).toMatchObject({ running: true, hashed: true });
    const res = await request(uuid, { target: 'unrescue' });
    expect(res.status, res.text).toBe(202);
    await reaches(rig.svc, uuid, 'active', 30_000);
    await osRunning(rig, host);
  }, 60_000);

  it("times out in rescue wait to rescue failed with Ironic's words, and the machine is powered off", async () => {
    const { uuid, host } = nodes.ipmi;
    await setHostFaults(rig.sim, host, { agentCrash: true });
    try {
      await rescueTo(uuid, 'times-out-3', 'rescue wait');
      const failed = await reaches(rig.svc, uuid, 'rescue failed', (RESCUE_TIMEOUT_S + 15) * 1000);
      expect(failed.last_error).toMatch(
        new RegExp(
          `^Timeout reached while waiting for rescue ramdisk callback for node ${uuid} \\(${RESCUE_TIMEOUT_S} s\\); no agent ever called back\\.$`,
        ),
      );
      expect(failed.instance_info.hashed_rescue_password).toBeUndefined();
      expect(failed.power_state).toBe('power off');
      expect((await simHost(rig.sim, host)).power).toBe('Off');
    } finally {
      await setHostFaults(rig.sim, host, {});
    }
    // Unrescue from rescue failed boots the instance again.
    const res = await request(uuid, { target: 'unrescue' });
    expect(res.status, res.text).toBe(202);
    await reaches(rig.svc, uuid, 'active', 30_000);
    await osRunning(rig, host);
  }, 60_000);
});

describe('a rescue that cannot start', () => {
  it('is refused at once with 400, the node left active and no password stored', async () => {
    const { uuid } = nodes.redfish;
    const refused = async (body: Record<string, unknown>, message: string | RegExp) => {
      const res = await request(uuid, body);
      expect(res.status, res.text).toBe(400);
      if (typeof message === 'string') expect(faultOf(res)).toBe(message);
      else expect(faultOf(res)).toMatch(message);
      const node = (await rig.svc.request('GET', `/v1/nodes/${uuid}`)).body;
      expect(node).toMatchObject({ provision_state: 'active', reservation: null, last_error: null });
      expect(node.instance_info.rescue_password).toBeUndefined();
      expect(node.instance_info.hashed_rescue_password).toBeUndefined();
    };
    const patch = async (ops: Record<string, unknown>[]) => {
      const res = await rig.svc.request('PATCH', `/v1/nodes/${uuid}`, ops, '1.38');
      expect(res.status, res.text).toBe(200);
    };

    await refused(
      { target: 'rescue' },
      "A non-empty 'rescue_password' is required when setting target provision state to rescue",
    );
    await refused(
      { target: 'rescue', rescue_password: '   ' },
      `Failed to rescue instance None for node ${uuid}: Validation failed: The 'instance_info/rescue_password' is an empty string for node ${uuid}. The 'rescue_password' must be a non-empty string value.`,
    );

    await patch([{ op: 'remove', path: '/driver_info/rescue_kernel' }]);
    await refused(
      { target: 'rescue', rescue_password: 'pw' },
      `Failed to rescue instance None for node ${uuid}: Validation failed: Cannot validate PXE bootloader. Some parameters were missing in node's driver_info. Missing are: ['rescue_kernel']`,
    );
    const validation = await rig.svc.request('GET', `/v1/nodes/${uuid}/validate`, undefined, '1.38');
    expect(validation.body.rescue).toEqual({
      result: false,
      reason:
        "Cannot validate PXE bootloader. Some parameters were missing in node's driver_info. Missing are: ['rescue_kernel']",
    });
    await patch([{ op: 'add', path: '/driver_info/rescue_kernel', value: RESCUE_IMAGES.rescue_kernel }]);

    // An active node's interfaces change only in maintenance, as in Ironic.
    const setRescueInterface = async (value: string) => {
      await patch([{ op: 'replace', path: '/maintenance', value: true }]);
      await patch([
        { op: 'replace', path: '/rescue_interface', value },
        { op: 'replace', path: '/maintenance', value: false },
      ]);
    };
    await setRescueInterface('no-rescue');
    await refused(
      { target: 'rescue', rescue_password: 'pw' },
      'Driver redfish does not support rescue (disabled or not implemented).',
    );
    await setRescueInterface('agent');
  });
});
