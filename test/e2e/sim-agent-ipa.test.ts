// Issue 17's simulated agent that behaves like IPA, proven against Anvil's
// conductor over the real network boot: a step finishes as soon as the
// agent's command ends (IPA's forced heartbeat), not on the heartbeat
// interval IPA derives from lookup's heartbeat_timeout, which is made long
// here (30 to 60 s) so that nothing else could move the node on in time;
// root device hints choose the disk and fail when none matches; the boot
// mode the node asks for is the one the installed disk boots in; md5 and
// sha512 checksums are verified, a wrong one refused; a config drive that is
// not gzip+base64 fails the write in IPA's words.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockDevices } from '../../sim/agent/block-devices.js';
import { drive, reaches, simHost } from './sim-nodes.js';
import {
  bootLog,
  createPool,
  enrollForDeploy,
  osRunning,
  requestDeploy,
  startProvisionRig,
  type ProvisionRig,
} from './provision-rig.js';

/** Lookup's heartbeat_timeout: IPA's agent then heartbeats every 30 to 60 s. */
const HEARTBEAT_TIMEOUT_S = 100;
/** IPA's min_heartbeat_interval, scaled down: the least gap before a forced heartbeat. */
const MIN_HEARTBEAT_MS = 300;

let rig: ProvisionRig;

beforeAll(async () => {
  // The agents' heartbeat cadence is left to IPA's rules (no fixed test interval), so only forced heartbeats are quick;
  // two disks each, so root device hints have a choice to make.
  rig = await startProvisionRig({
    hosts: 4,
    seed: 171,
    heartbeatMs: null,
    minHeartbeatMs: MIN_HEARTBEAT_MS,
    storage: { disks: 2, controllers: 1 },
    env: { ANVIL_AGENT_HEARTBEAT_TIMEOUT: String(HEARTBEAT_TIMEOUT_S) },
  });
  await createPool(rig.svc, 'ipa-agent', '127.171.0.0');
});

afterAll(async () => {
  await rig?.close();
});

const hex = (algo: string, data: Buffer): string => createHash(algo).update(data).digest('hex');

async function patch(uuid: string, ops: Record<string, unknown>[]): Promise<void> {
  const res = await rig.svc.request('PATCH', `/v1/nodes/${uuid}`, ops);
  expect(res.status, res.text).toBe(200);
}

interface TimedEvent {
  event: string;
  created_at: string;
}

/**
 * For each agent step command that ended on the host since `mark`, how long
 * until Anvil's history shows the node moved on by an agent check-in.
 */
async function checkInDelays(uuid: string, name: string, mark: number): Promise<{ step: string; ms: number }[]> {
  const res = await rig.svc.request('GET', `/v1/nodes/${uuid}/history`, undefined, '1.78');
  const resumes = (res.body.history as TimedEvent[])
    .filter((e) => e.event.includes('(resume): the agent checked in'))
    .map((e) => Date.parse(e.created_at));
  const seen = await simHost(rig.sim, name);
  return seen.bootSteps
    .slice(mark)
    .filter((s) => s.kind === 'command' && /execute_(clean|deploy)_step/.test(s.source))
    .map((s) => {
      const ended = Date.parse(s.at);
      const next = resumes.find((at) => at >= ended);
      return { step: s.source, ms: next === undefined ? Number.POSITIVE_INFINITY : next - ended };
    });
}

describe('the simulated agent behaves like IPA against the conductor', () => {
  it('moves each clean and deploy step on within moments of its command ending, though heartbeats are 30-60 s apart; writes to the hinted disk with an md5-verified image and a legacy BIOS bootloader, which boots', async () => {
    const { svc } = rig;
    const name = rig.sim.manifest.hosts[0]!.name;
    const target = blockDevices(rig.sim.fleet.get(name)!).at(-1)!;
    const { uuid } = await enrollForDeploy(rig, 0, 'redfish', 'ipa-agent', {
      properties: { capabilities: 'boot_mode:bios', root_device: { serial: target.serial } },
    });
    await drive(svc, uuid, { target: 'manage' }, 'manageable');

    let mark = (await simHost(rig.sim, name)).bootSteps.length;
    const cleaningFrom = Date.now();
    await drive(svc, uuid, { target: 'provide' }, 'available', 25_000);
    const cleaningMs = Date.now() - cleaningFrom;
    const cleanDelays = await checkInDelays(uuid, name, mark);
    expect(cleanDelays.length, bootLog(await simHost(rig.sim, name), 30)).toBeGreaterThan(0);
    for (const { step, ms } of cleanDelays) expect(ms, step).toBeLessThan(3_000);

    await patch(uuid, [
      { op: 'add', path: '/instance_info/image_source', value: rig.image.url },
      { op: 'add', path: '/instance_info/image_checksum', value: md5Of(rig) },
    ]);
    mark = (await simHost(rig.sim, name)).bootSteps.length;
    const deployFrom = Date.now();
    await requestDeploy(svc, uuid, 'bios-0');
    const node = await reaches(svc, uuid, 'active', 25_000);
    const deployMs = Date.now() - deployFrom;
    expect(node.last_error).toBeNull();
    const deployDelays = await checkInDelays(uuid, name, mark);
    expect(deployDelays.map((d) => d.step)).toEqual([expect.stringContaining('write_image')]);
    for (const { step, ms } of deployDelays) expect(ms, step).toBeLessThan(3_000);
    // Far under one regular heartbeat interval (30 s at the least): only forced heartbeats moved them.
    expect(cleaningMs).toBeLessThan(20_000);
    expect(deployMs).toBeLessThan(20_000);

    const seen = await osRunning(rig, name);
    expect(seen.disk, bootLog(seen)).toMatchObject({
      device: target.name,
      bootMode: 'legacy',
      sha256: rig.image.sha256,
    });
    expect(seen.lastBoot).toMatchObject({ device: 'hdd', mode: 'legacy' });
    expect(seen.bootSteps.filter((s) => s.kind === 'disk').at(-1)?.detail).toContain('md5 verified');
    expect(seen.os?.hostname).toBe('bios-0');
  });

  it('verifies a sha512 os_hash and boots the disk in UEFI, the boot mode by default', async () => {
    const { svc } = rig;
    const name = rig.sim.manifest.hosts[1]!.name;
    const { uuid } = await enrollForDeploy(rig, 1, 'ipmi', 'ipa-agent', { automated_clean: false });
    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    await drive(svc, uuid, { target: 'provide' }, 'available');
    await patch(uuid, [
      { op: 'add', path: '/instance_info/image_source', value: rig.image.url },
      { op: 'add', path: '/instance_info/image_os_hash_algo', value: 'sha512' },
      { op: 'add', path: '/instance_info/image_os_hash_value', value: sha512Of(rig) },
    ]);
    await requestDeploy(svc, uuid, 'uefi-1');
    expect((await reaches(svc, uuid, 'active', 25_000)).last_error).toBeNull();
    const seen = await osRunning(rig, name);
    expect(seen.disk, bootLog(seen)).toMatchObject({ bootMode: 'uefi', sha256: rig.image.sha256 });
    expect(seen.lastBoot?.mode).toBe('uefi');
    expect(seen.bootSteps.filter((s) => s.kind === 'disk').at(-1)?.detail).toContain('sha512 verified');
  });

  it("fails the deploy in IPA's words: hints no disk matches, a wrong checksum, a config drive that is not gzip+base64", async () => {
    const { svc } = rig;
    const cdText = randomBytes(600).toString('base64');
    writeFileSync(path.join(svc.dataDir, 'images', 'not-gzip.cd'), cdText);
    const cases = [
      {
        index: 2,
        fields: { properties: { root_device: { name: '/dev/sdz' } } },
        image: [{ op: 'add', path: '/instance_info/image_checksum', value: md5Of(rig) }],
        configdrive: undefined,
        error: (_uuid: string) => "No suitable device was found for deployment using these hints {'name': '/dev/sdz'}",
      },
      {
        index: 3,
        fields: {},
        image: [{ op: 'add', path: '/instance_info/image_checksum', value: 'f'.repeat(128) }],
        configdrive: undefined,
        error: (uuid: string) =>
          `image ID: ${uuid}; image checksum: ${'f'.repeat(128)}; verification checksum: ${sha512Of(rig)}`,
      },
    ];
    const failures = await Promise.all(
      cases.map(async (c) => {
        const { uuid } = await enrollForDeploy(rig, c.index, 'redfish', 'ipa-agent', {
          automated_clean: false,
          ...c.fields,
        });
        await drive(svc, uuid, { target: 'manage' }, 'manageable');
        await drive(svc, uuid, { target: 'provide' }, 'available');
        await patch(uuid, [{ op: 'add', path: '/instance_info/image_source', value: rig.image.url }, ...c.image]);
        await requestDeploy(svc, uuid, `failing-${c.index}`);
        const node = await reaches(svc, uuid, 'deploy failed', 25_000);
        return { uuid, node, expected: c.error(uuid) };
      }),
    );
    for (const { node, expected } of failures) expect(node.last_error).toContain(expected);

    // The config drive, as a URL Anvil cannot check: the image is written, then the drive refused.
    const { uuid, node } = failures[1]!;
    await patch(uuid, [{ op: 'replace', path: '/instance_info/image_checksum', value: md5Of(rig) }]);
    const res = await svc.request(
      'PUT',
      `/v1/nodes/${uuid}/states/provision`,
      { target: 'active', configdrive: `${svc.bootUrl}/images/not-gzip.cd` },
      '1.56',
    );
    expect(res.status, res.text).toBe(202);
    const again = await eventuallyFailedAgain(uuid, node.last_error as string);
    expect(again.last_error).toContain(
      `Encountered error while decompressing and writing config drive for node ${uuid}. Error: Not a gzipped file`,
    );
  });
});

function md5Of(r: ProvisionRig): string {
  return imageHash(r, 'md5');
}

function sha512Of(r: ProvisionRig): string {
  return imageHash(r, 'sha512');
}

function imageHash(r: ProvisionRig, algo: string): string {
  return hex(algo, readImage(r));
}

function readImage(r: ProvisionRig): Buffer {
  return readFileSync(path.join(r.svc.dataDir, 'images', r.image.name));
}

/** Waits for the node to fail its deploy again, with a last_error other than the one before. */
async function eventuallyFailedAgain(uuid: string, before: string): Promise<Record<string, any>> {
  const deadline = Date.now() + 25_000;
  for (;;) {
    const node = (await rig.svc.request('GET', `/v1/nodes/${uuid}`)).body as Record<string, any>;
    if (node.reservation === null && node.provision_state === 'deploy failed' && node.last_error !== before)
      return node;
    if (Date.now() > deadline)
      throw new Error(`node ${uuid} did not fail again: ${node.provision_state}, ${node.last_error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
