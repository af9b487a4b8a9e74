// Issue 7's failure Proofs: what goes wrong in a real deploy (a wrong
// checksum, an image nobody serves, an agent that dies mid-write, a BMC that
// fails while the image is written, a user who wants out of wait call-back)
// ends in the state Ironic would put the node in, with a last_error that
// tells a person what happened; and a retry from there reaches active.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drive, reaches, setHostFaults, simHost } from './sim-nodes.js';
import {
  bootLog,
  createPool,
  deploy,
  enrollForDeploy,
  osRunning,
  requestDeploy,
  setImage,
  startProvisionRig,
  type EnrolledHost,
  type ProvisionRig,
} from './provision-rig.js';
import { faultOf } from '../support/service.js';

/** Short, so a dead agent fails its node within seconds; a live one resets the clock at every heartbeat. */
const CALLBACK_TIMEOUT_S = 3;

/**
 * An image server the test controls: it can stop half-way through the next
 * download and wait, so a fault lands while the agent is really writing,
 * not before or after it.
 */
interface GatedImageServer {
  url: string;
  sha256: string;
  /** Holds the next download after half the image; `reached` resolves once that half is sent. */
  holdNext(): { reached: Promise<void>; release(): void };
  close(): Promise<void>;
}

async function startGatedImageServer(bytes: number): Promise<GatedImageServer> {
  const data = randomBytes(bytes);
  let hold: { reached: () => void; gate: Promise<void> } | null = null;
  const held: ServerResponse[] = [];
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length });
    const mine = hold;
    hold = null;
    if (mine === null) {
      res.end(data);
      return;
    }
    held.push(res);
    const half = Math.floor(data.length / 2);
    res.write(data.subarray(0, half), () => mine.reached());
    void mine.gate.then(() => {
      if (!res.destroyed) res.end(data.subarray(half));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/images/gated.img`,
    sha256: createHash('sha256').update(data).digest('hex'),
    holdNext() {
      let reached!: () => void;
      let release!: () => void;
      const reachedP = new Promise<void>((r) => (reached = r));
      const gate = new Promise<void>((r) => (release = r));
      hold = { reached, gate };
      return { reached: reachedP, release };
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port where nothing listens: bound, then closed. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

let rig: ProvisionRig;
let gated: GatedImageServer;

beforeAll(async () => {
  rig = await startProvisionRig({
    hosts: 5,
    seed: 74,
    env: {
      ANVIL_DEPLOY_CALLBACK_TIMEOUT: String(CALLBACK_TIMEOUT_S),
      ANVIL_CLEAN_CALLBACK_TIMEOUT: String(CALLBACK_TIMEOUT_S),
    },
  });
  gated = await startGatedImageServer(2 * 1024 * 1024);
  await createPool(rig.svc, 'prov-fail', '127.74.0.0');
});

afterAll(async () => {
  await gated?.close();
  await rig?.close();
});

/** Enrolled, managed and cleaned to available: ready for the deploy a scenario spoils. */
async function availableHost(index: number): Promise<EnrolledHost> {
  const enrolled = await enrollForDeploy(rig, index, 'redfish', 'prov-fail');
  await drive(rig.svc, enrolled.uuid, { target: 'manage' }, 'manageable');
  await drive(rig.svc, enrolled.uuid, { target: 'provide' }, 'available', 30_000);
  return enrolled;
}

/** Waits for the node to rest in `deploy failed` and gives its last_error. */
async function deployFailed(uuid: string, ms = 20_000): Promise<string> {
  const node = await reaches(rig.svc, uuid, 'deploy failed', ms);
  expect(node.target_provision_state).toBeNull();
  expect(typeof node.last_error).toBe('string');
  return node.last_error as string;
}

/** The retry: `active` again from `deploy failed`, now with a good image, ends with the OS running it. */
async function retryReachesActive(target: EnrolledHost, hostname: string): Promise<void> {
  await setImage(rig.svc, target.uuid, rig.image);
  const node = await deploy(rig.svc, target.uuid, hostname);
  expect(node.last_error).toBeNull();
  const seen = await osRunning(rig, target.host.name);
  expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
  expect(seen.os?.hostname).toBe(hostname);
}

describe('a deploy that fails', () => {
  it('ends in deploy failed when the image does not match its checksum, naming both checksums, and deploys once the checksum is right', async () => {
    const target = await availableHost(0);
    const wrong = 'f'.repeat(64);
    await setImage(rig.svc, target.uuid, { url: rig.image.url, sha256: wrong });
    await requestDeploy(rig.svc, target.uuid, 'bad-sum');
    const error = await deployFailed(target.uuid);
    // IPA's ImageChecksumError, as the agent reports it.
    expect(error).toBe(
      `Deploy step deploy.write_image failed on node ${target.uuid}: Image failed to verify against checksum. ` +
        `location: /dev/sda; image ID: ${target.uuid}; image checksum: ${wrong}; verification checksum: ${rig.image.sha256}`,
    );
    // The agent refused the bytes: nothing was left on the disk.
    expect((await simHost(rig.sim, target.host.name)).disk).toBeNull();
    await retryReachesActive(target, 'good-sum');
  });

  it('ends in deploy failed when nothing serves the image URL, saying the download was refused, and deploys from a URL that answers', async () => {
    const target = await availableHost(1);
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/images/missing.img`;
    await setImage(rig.svc, target.uuid, { url, sha256: rig.image.sha256 });
    await requestDeploy(rig.svc, target.uuid, 'no-image');
    const error = await deployFailed(target.uuid);
    expect(error).toBe(
      `Deploy step deploy.write_image failed on node ${target.uuid}: Download of image ${target.uuid} failed: ${url}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    await retryReachesActive(target, 'image-found');
  });

  it('ends in deploy failed after the callback timeout when the agent dies mid-write, and deploys once a working agent boots', async () => {
    const target = await availableHost(2);
    await setImage(rig.svc, target.uuid, gated);
    const hold = gated.holdNext();
    await requestDeploy(rig.svc, target.uuid, 'crash');
    await hold.reached;
    // Half the image is on its way to the disk: now the agent dies, at its next chunk.
    await setHostFaults(rig.sim, target.host.name, { agentCrash: true });
    hold.release();
    const error = await deployFailed(target.uuid, (CALLBACK_TIMEOUT_S + 10) * 1000);
    expect(error).toMatch(
      new RegExp(
        `^Timeout reached while waiting for callback for node ${target.uuid} in "wait call-back" \\(${CALLBACK_TIMEOUT_S} s\\); the agent's last heartbeat was at \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\.$`,
      ),
    );
    const seen = await simHost(rig.sim, target.host.name);
    expect(
      seen.bootSteps.some((s) => s.kind === 'agent' && s.outcome === 'failed' && s.detail.includes('agentCrash')),
      bootLog(seen),
    ).toBe(true);
    expect(seen.disk, bootLog(seen)).toBeNull();

    await setHostFaults(rig.sim, target.host.name, { agentCrash: false });
    await retryReachesActive(target, 'after-crash');
  });

  it("ends in deploy failed naming the BMC's error when the BMC fails while the image is written, and deploys once the BMC answers", async () => {
    const target = await availableHost(3);
    await setImage(rig.svc, target.uuid, gated);
    const hold = gated.holdNext();
    await requestDeploy(rig.svc, target.uuid, 'bmc-fault');
    await hold.reached;
    // The write finishes with the BMC failing: booting the instance from disk cannot happen.
    await setHostFaults(rig.sim, target.host.name, { errorRate: 1, errorStatus: 503 });
    hold.release();
    const error = await deployFailed(target.uuid);
    expect(error).toMatch(
      new RegExp(
        `^Failed to prepare instance for booting on node ${target.uuid}: redfish set_boot_device on .* failed after 2 attempts: .*HTTP 503`,
      ),
    );
    const seen = await simHost(rig.sim, target.host.name);
    // The image is on the disk; only booting it failed.
    expect(seen.disk?.sha256, bootLog(seen)).toBe(gated.sha256);

    await setHostFaults(rig.sim, target.host.name, { errorRate: 0 });
    await retryReachesActive(target, 'after-bmc');
  });

  it('refuses abort in wait call-back with 406 at API 1.95, lets the user out with deleted (cleaned back to available), and deploys after', async () => {
    const target = await availableHost(4);
    await setImage(rig.svc, target.uuid, gated);
    const hold = gated.holdNext();
    await requestDeploy(rig.svc, target.uuid, 'stuck');
    await hold.reached;
    const waiting = await reaches(rig.svc, target.uuid, 'wait call-back');
    expect(waiting.target_provision_state).toBe('active');

    const abort = await rig.svc.request(
      'PUT',
      `/v1/nodes/${target.uuid}/states/provision`,
      { target: 'abort' },
      '1.95',
    );
    expect(abort.status, abort.text).toBe(406);
    expect(faultOf(abort)).toBe('Aborting a node in "wait call-back" requires API version 1.110 or later.');

    const mark = (await simHost(rig.sim, target.host.name)).bootSteps.length;
    const node = await drive(rig.svc, target.uuid, { target: 'deleted' }, 'available', 30_000);
    hold.release();
    expect(node.last_error).toBeNull();
    const seen = await simHost(rig.sim, target.host.name);
    // Torn down (the half-written download ended with the power) and cleaned by a fresh agent.
    expect(seen.disk).toBeNull();
    expect(
      seen.bootSteps
        .slice(mark)
        .some((s) => s.kind === 'command' && s.source.includes('erase_devices_metadata') && s.outcome === 'ok'),
      bootLog(seen),
    ).toBe(true);

    await retryReachesActive(target, 'after-abort');
  });
});
