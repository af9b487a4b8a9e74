import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepPrerequisites } from '../../../../services/conductor/step-prerequisites.js';
import { configDriveProblem } from '../../../../services/deploy/index.js';
import { encodeConfigDrive } from '../../../../pxe/configdrive/index.js';
import type { Node } from '../../../../services/nodes/model.js';
import { nodeFixture } from '../../../support/node-fixture.js';
import { NO_CONFIGURED_IMAGES, NO_ISO_BUILDS } from '../../../support/validation-env.js';

const BMC = { redfish_address: 'http://127.0.0.1:8000', redfish_username: 'admin', redfish_password: 'pw' };
const IMAGE = { image_source: 'http://127.0.0.1:1/disk.img', image_os_hash_algo: 'sha256', image_os_hash_value: 'ab' };

/** A Redfish node booting its agent over iPXE, ready to deploy unless `overrides` spoil it. */
function redfishNode(driverInfo: Record<string, unknown>, overrides: Partial<Node> = {}): Node {
  return {
    id: 1,
    ...nodeFixture({
      driver: 'redfish',
      power_interface: 'redfish',
      management_interface: 'redfish',
      boot_interface: 'ipxe',
      deploy_interface: 'direct',
      inspect_interface: 'agent',
      driver_info: { ...BMC, ...driverInfo },
      instance_info: { ...IMAGE },
    }),
    ...overrides,
  };
}

let bootFiles: string;
let outside: string;
let files: Server;
let filesUrl: string;
let seen: string[];

beforeAll(async () => {
  bootFiles = mkdtempSync(path.join(os.tmpdir(), 'anvil-boot-files-'));
  writeFileSync(path.join(bootFiles, 'ipa.kernel'), 'kernel');
  mkdirSync(path.join(bootFiles, 'ipa'));
  writeFileSync(path.join(bootFiles, 'ipa', 'initramfs'), 'ramdisk');
  outside = mkdtempSync(path.join(os.tmpdir(), 'anvil-outside-'));
  writeFileSync(path.join(outside, 'secret'), 'not a boot file');
  symlinkSync(path.join(outside, 'secret'), path.join(bootFiles, 'escape'));
  seen = [];
  // Answers HEAD as its path says: /ok, /gone (410), /forbidden (403), /no-head (405), /hang (never), else 404.
  files = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const status = { '/ok': 200, '/gone': 410, '/forbidden': 403, '/no-head': 405 }[req.url ?? ''];
    if (req.url === '/hang') return;
    res.writeHead(status ?? 404).end();
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});

afterAll(async () => {
  files.closeAllConnections();
  await new Promise<void>((resolve) => files.close(() => resolve()));
  rmSync(bootFiles, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/** One network-bootable port, unless a test says otherwise. */
const onePort = async () => ['52:54:00:00:00:01'];
const local = (pxeMacs = onePort) =>
  new StepPrerequisites({
    bootFilesDir: bootFiles,
    headTimeoutMs: 500,
    pxeMacs,
    env: NO_CONFIGURED_IMAGES,
    agentIsos: NO_ISO_BUILDS,
  });

describe('what a step needs before it touches the machine', () => {
  it("names the missing agent kernel and ramdisk in Ironic's words, worded for the step that needed them", async () => {
    const node = redfishNode({});
    const missing =
      "Cannot validate PXE bootloader. Some parameters were missing in node's driver_info. Missing are: ['deploy_kernel', 'deploy_ramdisk']";
    expect(await local().problem(node, 'clean')).toBe(`Failed to prepare node ${node.uuid} for cleaning: ${missing}`);
    expect(await local().problem(node, 'inspect')).toBe(
      `Failed to inspect hardware. Reason: unable to start inspection: ${missing}`,
    );
    expect(await local().problem(node, 'deploy')).toBe(
      `Failed to validate deploy or power info for node ${node.uuid}: ${missing}`,
    );
    expect(await local().problem(redfishNode({ deploy_kernel: 'ipa.kernel' }), 'clean')).toContain(
      "Missing are: ['deploy_ramdisk']",
    );
  });

  it('refuses a network boot of a node with no port that may boot, as Ironic does; a virtual media boot needs none', async () => {
    const node = redfishNode({ deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'ipa/initramfs' });
    const none = async (): Promise<string[]> => [];
    expect(await local(none).problem(node, 'clean')).toBe(
      `Failed to prepare node ${node.uuid} for cleaning: Node ${node.uuid} does not have any port associated with it.`,
    );
    expect(await local(none).problem(node, 'deploy')).toBe(
      `Failed to prepare to deploy: Node ${node.uuid} does not have any port associated with it.`,
    );
    const vmedia = redfishNode({ deploy_iso: `${filesUrl}/ok` }, { boot_interface: 'redfish-virtual-media' });
    expect(await local(none).problem(vmedia, 'clean')).toBeNull();
  });

  it('passes boot files that exist under the boot files directory, as the boot server resolves paths', async () => {
    for (const ramdisk of ['ipa/initramfs', '/ipa/initramfs', 'ipa/./initramfs', 'ipa//initramfs', 'ipa/init%72amfs']) {
      expect(
        await local().problem(redfishNode({ deploy_kernel: 'ipa.kernel', deploy_ramdisk: ramdisk }), 'deploy'),
      ).toBeNull();
    }
  });

  it('refuses a boot file path that is not in the boot files directory, naming the directory', async () => {
    const cases: [string, string][] = [
      ['ipa.initrd', `Specified image file not found in the boot files directory ${bootFiles}`],
      ['ipa.kernel/initramfs', `Specified image file not found in the boot files directory ${bootFiles}`],
      ['ipa', `Specified image file is not a regular file in the boot files directory ${bootFiles}`],
      ['../ipa.kernel', `The path does not name a file under the boot files directory ${bootFiles}`],
      ['escape', `Specified image file leads out of the boot files directory ${bootFiles}`],
      ['bad%zz', 'Malformed percent-encoding in the path'],
    ];
    for (const [ramdisk, why] of cases) {
      const node = redfishNode({ deploy_kernel: 'ipa.kernel', deploy_ramdisk: ramdisk });
      expect(await local().problem(node, 'clean'), ramdisk).toBe(
        `Failed to prepare node ${node.uuid} for cleaning: Validation of image href ${ramdisk} failed, reason: ${why}.`,
      );
    }
  });

  it('leaves paths unchecked where this process does not serve the boot files (split roles)', async () => {
    const remote = new StepPrerequisites({
      bootFilesDir: null,
      headTimeoutMs: 500,
      pxeMacs: onePort,
      env: NO_CONFIGURED_IMAGES,
      agentIsos: NO_ISO_BUILDS,
    });
    expect(
      await remote.problem(redfishNode({ deploy_kernel: 'nowhere', deploy_ramdisk: 'nothing' }), 'deploy'),
    ).toBeNull();
  });

  it('refuses a boot file URL whose server says it is not there (404, 410), and only then', async () => {
    for (const [file, code] of [
      ['missing.kernel', 404],
      ['gone', 410],
    ] as const) {
      const node = redfishNode({ deploy_kernel: `${filesUrl}/ok`, deploy_ramdisk: `${filesUrl}/${file}` });
      expect(await local().problem(node, 'inspect')).toBe(
        `Failed to inspect hardware. Reason: unable to start inspection: Validation of image href ${filesUrl}/${file} failed, reason: Got HTTP code ${code} instead of 200 in response to HEAD request.`,
      );
    }
    expect(seen).toContain('HEAD /missing.kernel');
    // A server that hides files from strangers or does not do HEAD, or cannot be reached from the conductor, proves nothing.
    for (const file of ['forbidden', 'no-head', 'hang']) {
      const node = redfishNode({ deploy_kernel: `${filesUrl}/ok`, deploy_ramdisk: `${filesUrl}/${file}` });
      expect(await local().problem(node, 'clean'), file).toBeNull();
    }
    const refused = redfishNode({ deploy_kernel: 'http://127.0.0.1:1/k', deploy_ramdisk: 'http://127.0.0.1:1/r' });
    expect(await local().problem(refused, 'clean')).toBeNull();
  });

  it('gives up on a URL that does not answer within the timeout', async () => {
    const started = Date.now();
    const node = redfishNode({ deploy_kernel: `${filesUrl}/hang`, deploy_ramdisk: `${filesUrl}/hang` });
    expect(await local().problem(node, 'clean')).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses boot files no server here could hand the machine', async () => {
    const node = redfishNode({ deploy_kernel: 'file:///srv/ipa.kernel', deploy_ramdisk: 'ipa/initramfs' });
    expect(await local().problem(node, 'clean')).toBe(
      `Failed to prepare node ${node.uuid} for cleaning: Validation of image href file:///srv/ipa.kernel failed, reason: Image download protocol file is not supported; driver_info/deploy_kernel must be an http(s) URL or a path under the boot files directory.`,
    );
  });

  it('asks a virtual media boot for an agent ISO URL the BMC can fetch, or the images to build one, and checks them', async () => {
    const media = (deployIso?: string) =>
      redfishNode(deployIso === undefined ? {} : { deploy_iso: deployIso }, {
        boot_interface: 'redfish-virtual-media',
      });
    let node = media();
    expect(await local().problem(node, 'deploy')).toBe(
      `Failed to validate deploy or power info for node ${node.uuid}: Error validating Redfish virtual media. Some parameters were missing in node's driver_info. Missing are: ['deploy_kernel', 'deploy_ramdisk']`,
    );
    // Without deploy_iso the ISO is built from the agent's images, which must exist, where it can be built.
    node = redfishNode(
      { deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'missing.initramfs' },
      {
        boot_interface: 'redfish-virtual-media',
      },
    );
    expect(await local().problem(node, 'clean')).toMatch(
      /^Failed to prepare node .* for cleaning: Validation of image href missing\.initramfs failed, reason: Specified image file not found/,
    );
    node = redfishNode(
      { deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'ipa/initramfs' },
      {
        boot_interface: 'redfish-virtual-media',
      },
    );
    expect(await local().problem(node, 'clean')).toBe(
      `Failed to prepare node ${node.uuid} for cleaning: no agent ISO is built here; set driver_info/deploy_iso`,
    );
    node = media('ipa.kernel');
    expect(await local().problem(node, 'clean')).toBe(
      `Failed to prepare node ${node.uuid} for cleaning: Validation of image href ipa.kernel failed, reason: It is not an http(s) URL; driver_info/deploy_iso must be an http(s) URL the BMC can fetch.`,
    );
    node = media(`${filesUrl}/agent.iso`);
    expect(await local().problem(node, 'deploy')).toBe(
      `Failed to prepare to deploy: Validation of image href ${filesUrl}/agent.iso failed, reason: Got HTTP code 404 instead of 200 in response to HEAD request.`,
    );
    expect(await local().problem(media(`${filesUrl}/ok`), 'deploy')).toBeNull();
  });

  it('asks a deploy for what its deploy interface writes or boots', async () => {
    const ready = { deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'ipa/initramfs' };
    let node = redfishNode(ready, { instance_info: {} });
    expect(await local().problem(node, 'deploy')).toBe(
      `Failed to validate deploy or power info for node ${node.uuid}: Some parameters were missing in node's instance_info. Missing are: ['image_source']`,
    );
    // Cleaning and inspection write no image: they do not ask for one.
    expect(await local().problem(node, 'clean')).toBeNull();
    node = redfishNode(ready, { deploy_interface: 'ramdisk', instance_info: {} });
    expect(await local().problem(node, 'deploy')).toBe(
      `Failed to validate deploy or power info for node ${node.uuid}: instance_info needs boot_iso, or kernel and ramdisk, for the ramdisk deploy interface`,
    );
  });

  it('refuses a stored config drive the agent could not write before booting it', async () => {
    const node = redfishNode(
      { deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'ipa/initramfs' },
      { instance_info: { ...IMAGE, configdrive: 'not a config drive' } },
    );
    expect(await local().problem(node, 'deploy')).toBe(
      'Failed to prepare to deploy: Invalid configdrive format: a config drive string must be a gzipped, base64-encoded image or an http(s) URL (this one is not base64).',
    );
  });
});

describe('a config drive the agent can write', () => {
  it('is a JSON object Anvil builds, gzip+base64 of an image, an http(s) URL, or nothing', () => {
    for (const ok of [
      undefined,
      null,
      '',
      { meta_data: { hostname: 'h' }, user_data: '#cloud-config\n' },
      encodeConfigDrive(Buffer.from('an ISO image')),
      `${encodeConfigDrive(Buffer.from('wrapped')).replace(/(.{4})/g, '$1\n')}`,
      'https://images.example/cd/host-1.gz',
    ]) {
      expect(configDriveProblem(ok), JSON.stringify(ok)).toBeNull();
    }
  });

  it('is refused otherwise, saying what was wrong with it', () => {
    const lead =
      'Invalid configdrive format: a config drive string must be a gzipped, base64-encoded image or an http(s) URL';
    expect(configDriveProblem('#cloud-config')).toBe(`${lead} (this one is not base64).`);
    expect(configDriveProblem(Buffer.from('an ISO, not gzipped').toString('base64'))).toBe(
      `${lead} (this one is not gzip data).`,
    );
    const truncated = Buffer.from(encodeConfigDrive(Buffer.alloc(4096, 7)), 'base64')
      .subarray(0, 12)
      .toString('base64');
    expect(configDriveProblem(truncated)).toMatch(
      new RegExp(`^${lead.replace(/[()]/g, '\\$&')} \\(its gzip data is corrupt \\(.+\\)\\)\\.$`),
    );
    expect(configDriveProblem('ftp://images.example/cd')).toBe(`${lead} (this one is not base64).`);
    expect(configDriveProblem({ colour: 'red' })).toBe(
      'Invalid configdrive format: colour is not one of meta_data, network_data, user_data, vendor_data.',
    );
    expect(configDriveProblem(['a'])).toBe('Invalid configdrive format: it must be a string or a JSON object.');
  });
});
