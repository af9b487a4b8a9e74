// The fake agent seen from a conductor: its command API, IPA's command
// objects, image writes with checksum verification, the config drive, the
// clean steps, and powering the host off.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentServer,
  agentBootParams,
  HostDisk,
  METADATA_BYTES,
  SimAgent,
  DEFAULT_AGENT_TIMING,
} from '../../../../sim/agent/index.js';
import { FaultBook, seededRandom } from '../../../../sim/faults/index.js';
import { blockDevices } from '../../../../sim/agent/block-devices.js';
import { SimHost, hostSpec } from '../../../../sim/host/index.js';
import { eventually } from '../support/eventually.js';
import { startFakeAnvil, type FakeAnvil } from '../support/fake-anvil.js';
import { buildIso } from '../support/iso-builder.js';

const TOKEN = 'agent-token-1';
const NODE = '1be26c0b-03f2-4d2e-ae87-c02d7f33c123';
// A disk image with data, a long run of zeros (a hole in the disk file), and data again.
const image = Buffer.concat([
  Buffer.from('GPT image head'.repeat(1000)),
  Buffer.alloc(2 * 1024 * 1024),
  Buffer.from('tail of the image'),
]);
const digest = (algo: string, data: Buffer = image): string => createHash(algo).update(data).digest('hex');

let anvil: FakeAnvil;
let dir: string;
let host: SimHost;
let agent: SimAgent;
const faults = new FaultBook();

beforeAll(async () => {
  anvil = await startFakeAnvil();
  anvil.node = { uuid: NODE, token: TOKEN, heartbeatTimeout: 60 };
  anvil.files.set('/images/disk.raw', image);
  dir = await mkdtemp(join(tmpdir(), 'sim-agent-test-'));
  host = new SimHost(hostSpec(0, 'agent-', 3, 2));
  host.powerAction('On');
  agent = new SimAgent({
    host,
    disk: new HostDisk(join(dir, host.name)),
    params: agentBootParams([
      `ipa-api-url=${anvil.url}`,
      `BOOTIF=01-${(host.nics[0]?.mac ?? '').replaceAll(':', '-')}`,
    ]),
    server: new AgentServer(),
    faults,
    random: seededRandom(5),
    timing: { ...DEFAULT_AGENT_TIMING, heartbeatIntervalMs: 50, lookupInitialMs: 10 },
    address: '127.0.0.1',
    bmcAddress: '127.0.0.1',
  });
  await agent.start();
  await eventually(() => anvil.heartbeats.length > 0, 'the first heartbeat');
});

afterAll(async () => {
  agent.stop();
  await anvil.close();
  await rm(dir, { recursive: true, force: true });
});

/** A loopback port nobody listens on (fetch refuses well-known "bad ports" such as 1 outright). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function command(
  name: string,
  params: Record<string, unknown>,
  options: { wait?: boolean; token?: string | null } = {},
): Promise<Answer> {
  const query = new URLSearchParams({ wait: String(options.wait ?? true) });
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) query.set('agent_token', token);
  const res = await fetch(`${agent.callbackUrl}/v1/commands/?${query.toString()}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, params }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function writeImageStep(
  imageInfo: Record<string, unknown>,
  configdrive?: string,
  node: Record<string, unknown> = { uuid: NODE },
): Record<string, unknown> {
  return {
    step: {
      step: 'write_image',
      interface: 'deploy',
      priority: 80,
      args: {
        image_info: { id: 'img-1', urls: [`${anvil.url}/images/disk.raw`], disk_format: 'raw', ...imageInfo },
        ...(configdrive ? { configdrive } : {}),
      },
    },
    node,
    ports: [],
  };
}

describe('fake agent commands', () => {
  it('heartbeats with its callback URL and token after lookup, start then end', async () => {
    await eventually(() => anvil.heartbeats.length >= 2, 'a second heartbeat');
    const [first, second] = anvil.heartbeats;
    expect(first?.uuid).toBe(NODE);
    expect(first?.body).toEqual({
      callback_url: agent.callbackUrl,
      agent_token: TOKEN,
      agent_version: '9.x (anvil-sim)',
      agent_status: 'start',
      agent_verify_ca: false,
    });
    expect(second?.body.agent_status).toBe('end');
    expect(agent.callbackUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a command without the agent token, or with a wrong one', async () => {
    expect((await command('deploy.get_deploy_steps', {}, { token: null })).status).toBe(401);
    const wrong = await command('deploy.get_deploy_steps', {}, { token: 'nope' });
    expect(wrong).toMatchObject({ status: 401, body: { type: 'Unauthorized' } });
    const inBody = await command('deploy.get_deploy_steps', { agent_token: TOKEN }, { token: null });
    expect(inBody.status).toBe(200);
    expect((await fetch(`${agent.callbackUrl}/v1/commands/?agent_token=nope`)).status).toBe(401);
  });

  it('answers get_deploy_steps and get_clean_steps at once, in IPA shapes', async () => {
    const deploy = await command('deploy.get_deploy_steps', {}, { wait: false });
    expect(deploy.body).toMatchObject({
      command_name: 'get_deploy_steps',
      command_status: 'SUCCEEDED',
      command_error: null,
    });
    const steps = (
      deploy.body.command_result as { deploy_steps: Record<string, Array<{ step: string; priority: number }>> }
    ).deploy_steps.GenericHardwareManager;
    expect(steps?.map((s) => [s.step, s.priority])).toEqual([
      ['write_image', 80],
      ['prepare_instance_boot', 60],
      ['tear_down_agent', 40],
      ['boot_instance', 20],
      ['install_os', 0],
    ]);
    expect((await command('standby.get_partition_uuids', {}, { wait: false })).body).toMatchObject({
      command_status: 'SUCCEEDED',
      command_result: {},
    });
    const clean = await command('clean.get_clean_steps', {});
    expect(clean.body.command_result).toMatchObject({
      clean_steps: {
        GenericHardwareManager: [{ step: 'erase_devices_metadata', priority: 99 }, { step: 'erase_devices' }],
      },
    });
  });

  it.each([
    ['md5 checksum', { checksum: digest('md5') }],
    ['sha256 checksum', { checksum: digest('sha256') }],
    ['sha512 checksum', { checksum: digest('sha512') }],
    ['os_hash sha256', { os_hash_algo: 'sha256', os_hash_value: digest('sha256') }],
    ['os_hash sha512', { os_hash_algo: 'sha512', os_hash_value: digest('sha512') }],
    ['os_hash md5', { os_hash_algo: 'md5', os_hash_value: digest('md5') }],
  ])('writes the image to a sparse disk file, verified by %s', async (_what, checksum) => {
    const answer = await command('deploy.execute_deploy_step', writeImageStep(checksum));
    expect(answer.body).toMatchObject({
      command_name: 'execute_deploy_step',
      command_status: 'SUCCEEDED',
      command_error: null,
    });
    const disk = host.disk;
    expect(disk).toMatchObject({
      bytes: image.length,
      sha256: digest('sha256'),
      imageUrl: `${anvil.url}/images/disk.raw`,
      configDrivePath: null,
    });
    const file = await readFile(disk?.path ?? '');
    expect(digest('sha256', file)).toBe(digest('sha256'));
    // The zeros were skipped: fewer blocks on disk than the file's length needs.
    const info = await stat(disk?.path ?? '');
    expect(info.blocks * 512).toBeLessThan(info.size);
  });

  it("fails write_image on a wrong checksum with IPA's ImageChecksumError, leaving the disk as it was", async () => {
    const before = host.disk;
    const answer = await command('deploy.execute_deploy_step', writeImageStep({ checksum: 'f'.repeat(64) }));
    expect(answer.body.command_status).toBe('FAILED');
    expect(answer.body.command_error).toEqual({
      type: 'ImageChecksumError',
      code: 500,
      message: 'Error verifying image checksum',
      details: `Image failed to verify against checksum. location: ${before?.device}; image ID: img-1; image checksum: ${'f'.repeat(64)}; verification checksum: ${digest('sha256')}`,
    });
    expect(host.disk).toEqual(before);
  });

  it('fails write_image when no image URL answers, naming the URL and the reason', async () => {
    const step = writeImageStep({ checksum: digest('sha256') });
    const closed = await closedPort();
    (step.step as { args: { image_info: { urls: string[] } } }).args.image_info.urls = [
      `http://127.0.0.1:${closed}/nowhere.raw`,
      `${anvil.url}/images/missing.raw`,
    ];
    const answer = await command('deploy.execute_deploy_step', step);
    expect(answer.body.command_status).toBe('FAILED');
    const error = answer.body.command_error as { type: string; details: string };
    expect(error.type).toBe('ImageDownloadError');
    expect(error.details).toMatch(
      new RegExp(
        `Download of image img-1 failed: http://127\\.0\\.0\\.1:${closed}/nowhere\\.raw: .*ECONNREFUSED.*; .*missing\\.raw: HTTP 404`,
      ),
    );
  });

  it("refuses image_info with no usable checksum, in IPA's words", async () => {
    const odd = await command('deploy.execute_deploy_step', writeImageStep({ checksum: 'abc123' }));
    expect(odd.body.command_error).toMatchObject({
      type: 'RESTError',
      details:
        'Unable to proceed with image img-1 as the checksum indicator has been used but the algorithm could not be identified. Error: Unable to identify checksum algorithm used, and a value is not specified in the os_hash_algo setting.',
    });
    const none = await command('deploy.execute_deploy_step', writeImageStep({}));
    expect(none.body.command_error).toMatchObject({
      type: 'InvalidCommandParamsError',
      details:
        "Image checksum is not available, either the 'checksum' field or the 'os_hash_algo' and 'os_hash_value' fields pair must be set for image verification.",
    });
    // An algorithm the agent cannot compute falls back to the legacy checksum, as IPA's does.
    const fallback = await command(
      'deploy.execute_deploy_step',
      writeImageStep({ os_hash_algo: 'sha3_1024', os_hash_value: 'ab', checksum: digest('md5') }),
    );
    expect(fallback.body.command_status).toBe('SUCCEEDED');
  });

  it('keeps the config drive (gzip+base64) beside the disk and reads its meta and network data', async () => {
    const iso = buildIso({
      'openstack/latest/meta_data.json': JSON.stringify({
        uuid: NODE,
        hostname: 'web-1.example.org',
        public_keys: { default: 'ssh-ed25519 AAAA test' },
      }),
      'openstack/latest/network_data.json': JSON.stringify({
        links: [{ id: 'eth0', type: 'phy', ethernet_mac_address: host.nics[0]?.mac }],
        networks: [
          {
            id: 'n0',
            type: 'ipv4',
            link: 'eth0',
            ip_address: '192.0.2.10',
            netmask: '255.255.255.0',
            routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '192.0.2.1' }],
          },
        ],
        services: [{ type: 'dns', address: '192.0.2.53' }],
      }),
      'openstack/latest/user_data': '#cloud-config\nhostname: web-1\n',
    });
    const configdrive = gzipSync(iso).toString('base64');
    const answer = await command(
      'deploy.execute_deploy_step',
      writeImageStep({ checksum: digest('sha256') }, configdrive),
    );
    expect(answer.body.command_status).toBe('SUCCEEDED');
    const disk = host.disk;
    expect(disk?.configDrivePath).toMatch(/config-drive\.iso$/);
    expect(await readFile(disk?.configDrivePath ?? '')).toEqual(iso);
    const written = host.bootSteps.filter((s) => s.kind === 'disk').at(-1);
    expect(written?.detail).toMatch(/config drive for web-1\.example\.org \(192\.0\.2\.10\)/);
  });

  it('writes to the disk the root device hints name, and fails as IPA does when none matches', async () => {
    const devices = blockDevices(host);
    const target = devices.at(-1)!;
    const hinted = await command(
      'deploy.execute_deploy_step',
      writeImageStep({ checksum: digest('sha256') }, undefined, {
        uuid: NODE,
        properties: { root_device: { name: '/dev/nowhere' } },
        // The instance's hints win over the node's.
        instance_info: {
          root_device: { serial: target.serial.toLowerCase(), size: `>= ${Math.floor(target.size / 2 ** 30) - 1}` },
        },
      }),
    );
    expect(hinted.body.command_status, JSON.stringify(hinted.body.command_error)).toBe('SUCCEEDED');
    expect(host.disk).toMatchObject({ device: target.name, path: join(dir, host.name, `${target.name.slice(5)}.img`) });

    const before = host.disk;
    const unmatched = await command(
      'deploy.execute_deploy_step',
      writeImageStep({ checksum: digest('sha256') }, undefined, {
        uuid: NODE,
        properties: { root_device: { name: '/dev/sdz', rotational: false } },
      }),
    );
    expect(unmatched.body).toMatchObject({
      command_status: 'FAILED',
      command_error: {
        type: 'DeviceNotFound',
        code: 404,
        message: 'Error finding the disk or partition device to deploy the image onto',
        details:
          "No suitable device was found for deployment using these hints {'name': '/dev/sdz', 'rotational': False}",
      },
    });
    expect(host.disk).toEqual(before);
  });

  it('installs the bootloader for the boot mode the node asks, else the one the ramdisk booted in', async () => {
    const write = (node: Record<string, unknown>) =>
      command(
        'deploy.execute_deploy_step',
        writeImageStep({ checksum: digest('sha256') }, undefined, { uuid: NODE, ...node }),
      );
    await write({ properties: { capabilities: 'cpu_vt:true,boot_mode:bios' } });
    expect(host.disk?.bootMode).toBe('legacy');
    await write({
      properties: { capabilities: 'boot_mode:bios' },
      instance_info: { capabilities: { boot_mode: 'uefi' } },
    });
    expect(host.disk?.bootMode).toBe('uefi');
    await write({ instance_info: { deploy_boot_mode: 'bios', capabilities: { secure_boot: 'true' } } });
    expect(host.disk?.bootMode).toBe('uefi');
    await write({});
    expect(host.disk?.bootMode).toBe(host.lastBoot?.mode);
    const reinstalled = await command('image.install_bootloader', { root_uuid: null, target_boot_mode: 'bios' });
    expect(reinstalled.body.command_status).toBe('SUCCEEDED');
    expect(host.disk?.bootMode).toBe('legacy');
  });

  it('fails write_image on a config drive that is not gzip+base64, after writing the image, as IPA does', async () => {
    const answer = await command(
      'deploy.execute_deploy_step',
      writeImageStep(
        { checksum: digest('sha256') },
        buildIso({ 'openstack/latest/meta_data.json': '{}' }).toString('base64'),
      ),
    );
    expect(answer.body).toMatchObject({
      command_status: 'FAILED',
      command_error: {
        type: 'DeploymentError',
        message: 'Deploy step failed',
        details: `Encountered error while decompressing and writing config drive for node ${NODE}. Error: Not a gzipped file (b'\\x00\\x00')`,
      },
    });
  });

  it('runs a command with wait=false and reports it on GET /v1/commands', async () => {
    const started = await command(
      'deploy.execute_deploy_step',
      { step: { step: 'prepare_instance_boot', interface: 'deploy' } },
      { wait: false },
    );
    const id = started.body.id as string;
    const done = await eventually(async () => {
      const one = (await (await fetch(`${agent.callbackUrl}/v1/commands/${id}`)).json()) as Record<string, unknown>;
      return one.command_status === 'SUCCEEDED' ? one : undefined;
    }, 'the command to finish');
    expect(done.command_result).toEqual({
      deploy_result: null,
      deploy_step: { step: 'prepare_instance_boot', interface: 'deploy' },
    });
    const all = (await (await fetch(`${agent.callbackUrl}/v1/commands/`)).json()) as {
      commands: Array<{ id: string; command_params: Record<string, unknown> }>;
    };
    expect(all.commands.map((c) => c.id)).toContain(id);
    expect((await fetch(`${agent.callbackUrl}/v1/commands/no-such-id`)).status).toBe(404);
  });

  it('answers an unknown command 400 and an unknown step FAILED', async () => {
    expect((await command('deploy.frobnicate', {})).status).toBe(400);
    const unknown = await command('clean.execute_clean_step', { step: { step: 'burn_firmware', interface: 'deploy' } });
    expect(unknown.body).toMatchObject({
      command_status: 'FAILED',
      command_error: { type: 'InvalidCommandParamsError' },
    });
  });

  it('erases the disk metadata: the first MiB is zero, and no OS is left to boot', async () => {
    const written = host.disk?.path ?? '';
    expect(written).toMatch(/\.img$/);
    const answer = await command('clean.execute_clean_step', {
      step: { step: 'erase_devices_metadata', interface: 'deploy', priority: 99 },
      node: { uuid: NODE },
      ports: [],
    });
    expect(answer.body.command_status).toBe('SUCCEEDED');
    const file = await readFile(written);
    expect(file.length).toBe(image.length);
    expect(file.subarray(0, METADATA_BYTES).every((b) => b === 0)).toBe(true);
    expect(file.subarray(image.length - 17).toString()).toBe('tail of the image');
    expect(host.disk).toBeNull();
  });

  it('powers the host off on standby.power_off, after answering, and the agent goes with it', async () => {
    const answer = await command('standby.power_off', {});
    expect(answer.body.command_status).toBe('SUCCEEDED');
    await eventually(() => host.power === 'Off', 'the host to power off');
    // In this test nothing listens to the host's power, so the agent is stopped as its firmware would.
    agent.stop();
    await expect(fetch(`${agent.callbackUrl}/v1/commands/`)).rejects.toThrow();
  });
});
