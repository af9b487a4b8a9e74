// What the provisioning proofs share: Anvil with its boot services and short
// agent timeouts, a sim fleet that really network-boots against it and runs
// the fake agent, the files an operator would put in Anvil's boot-files and
// images directories, and the REST calls of a deploy. Everything here talks
// to Anvil over its REST API; the sim is only looked at, through its console.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import type { BootConfig } from '../../sim/host/boot/index.js';
import { createFleet, type FleetOptions, type SimHostSnapshot, type SimManifestHost } from '../../sim/host/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { enroll, provision, reaches, simHost, type BmcProtocol } from './sim-nodes.js';

/** Heartbeats this often move every wait along quickly; IPA's cadence would be minutes. */
export const HEARTBEAT_MS = 150;

export interface ImageFile {
  name: string;
  url: string;
  sha256: string;
  bytes: number;
}

export interface ProvisionRig {
  sim: SimFleet;
  svc: TestService;
  /** The deploy kernel and ramdisk, as paths under the HTTP boot server's /boot-files. */
  deployImages: { deploy_kernel: string; deploy_ramdisk: string };
  image: ImageFile;
  /**
   * The address each MAC was leased, filled in as the test claims IPAM
   * addresses: the sim's stand-in for a DHCP answer, so a host's TFTP
   * requests come from the address Anvil has for its node.
   */
  leases: Map<string, string>;
  close(): Promise<void>;
}

export interface RigOptions {
  hosts: number;
  seed: number;
  /** ANVIL_* settings beyond the rig's own. */
  env?: Record<string, string>;
  /** Bytes of the image to deploy. */
  imageBytes?: number;
  /** The agents' heartbeat interval; default HEARTBEAT_MS; null for IPA's own (from lookup's heartbeat_timeout). */
  heartbeatMs?: number | null;
  /** IPA's min_heartbeat_interval for the agents' forced heartbeats; the sim's default when absent. */
  minHeartbeatMs?: number;
  /** Each host's disks and controllers; the sim's default when absent. */
  storage?: FleetOptions['storage'];
  /** Kernel parameters a virtual-media boot uses when the ISO's grub.cfg names no ipa-api-url. */
  mediaKernelParams?: (svc: TestService) => string[];
  /** Each host's CPU architecture, by index; default x86_64. */
  cpuArch?: FleetOptions['cpuArch'];
  /** The boot file per firmware the sim's DHCP stand-in names; default what Anvil's DHCP names by default. */
  bootFiles?: BootConfig['bootFiles'];
}

/**
 * Anvil first (the sim must know its HTTP and TFTP ports), then the fleet;
 * a few KiB of random bytes stand for the agent kernel and ramdisk, since
 * hosts read only a Range of them anyway.
 */
export async function startProvisionRig(options: RigOptions): Promise<ProvisionRig> {
  const svc = await startTestService('sqlite', {
    ANVIL_LOG_LEVEL: 'warn',
    ANVIL_AGENT_HEARTBEAT_TIMEOUT: '10',
    ANVIL_CHECK_PROVISION_STATE_INTERVAL: '1',
    ANVIL_POWER_STATE_CHANGE_TIMEOUT: '5',
    ...options.env,
  });
  if (svc.tftpPort === null) {
    await svc.close();
    // Hosts PXE-boot here for real: without Debian's ipxe package there is no boot file to serve.
    throw new Error('Anvil started without TFTP (no /usr/lib/ipxe?): install the ipxe package');
  }
  const tftpPort = svc.tftpPort;
  const bootFiles = path.join(svc.dataDir, 'boot');
  const images = path.join(svc.dataDir, 'images');
  mkdirSync(bootFiles, { recursive: true });
  mkdirSync(images, { recursive: true });
  writeFileSync(path.join(bootFiles, 'ipa.kernel'), randomBytes(6 * 1024));
  writeFileSync(path.join(bootFiles, 'ipa.initramfs'), randomBytes(8 * 1024));
  const image = putImage(svc, 'disk.img', options.imageBytes ?? 256 * 1024);

  const leases = new Map<string, string>();
  let sim: SimFleet;
  try {
    sim = await startSimFleet({
      fleet: createFleet({
        count: options.hosts,
        seed: options.seed,
        cpuArch: options.cpuArch,
        ...(options.storage ? { storage: options.storage } : {}),
      }),
      redfishPort: 0,
      ipmiBasePort: 0,
      boot: {
        httpUrl: svc.bootUrl,
        tftpServer: { host: '127.0.0.1', port: tftpPort },
        agent: {
          heartbeatIntervalMs: options.heartbeatMs === undefined ? HEARTBEAT_MS : options.heartbeatMs,
          ...(options.minHeartbeatMs === undefined ? {} : { minHeartbeatIntervalMs: options.minHeartbeatMs }),
          lookupInitialMs: 50,
          lookupMaxMs: 500,
          imageStallTimeoutMs: 5_000,
          // Longer than Anvil's longest throttle wait (5 s), which a host whose last agent kept failing has earned.
          httpTimeoutMs: 10_000,
        },
        tftp: { timeoutMs: 500, retries: 3 },
        scriptSleepScale: 0.01,
        leaseAddress: (mac) => leases.get(mac) ?? null,
        ...(options.mediaKernelParams ? { mediaKernelParams: options.mediaKernelParams(svc) } : {}),
        bootFiles: options.bootFiles,
      },
    });
  } catch (err) {
    await svc.close();
    throw err;
  }
  return {
    sim,
    svc,
    deployImages: { deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'ipa.initramfs' },
    image,
    leases,
    async close() {
      // The sim first: its agents would otherwise heartbeat into a closed API.
      await sim.close();
      await svc.close();
    },
  };
}

/** Writes `bytes` random bytes into Anvil's images directory, served at `${bootUrl}/images/<name>`. */
export function putImage(svc: TestService, name: string, bytes: number): ImageFile {
  const data = randomBytes(bytes);
  writeFileSync(path.join(svc.dataDir, 'images', name), data);
  return { name, url: `${svc.bootUrl}/images/${name}`, sha256: createHash('sha256').update(data).digest('hex'), bytes };
}

/**
 * One pool of loopback addresses for the fleet: every 127/8 address is this
 * machine's, so a sim host can really send from the address it was given.
 */
export async function createPool(svc: TestService, name: string, subnet: string): Promise<void> {
  const base = subnet.split('.').slice(0, 3).join('.');
  const res = await svc.request('POST', '/v1/ipam/pools', {
    name,
    prefix: 24,
    gateway: `${base}.1`,
    dns_servers: [`${base}.2`],
    ranges: [{ start: `${base}.10`, end: `${base}.250` }],
  });
  expect(res.status, res.text).toBe(201);
}

export interface EnrolledHost {
  uuid: string;
  host: SimManifestHost;
  /** The IPv4 address IPAM gave the node. */
  address: string;
  prefix: number;
}

/**
 * Enrolls a host for a real deploy: ports from the manifest's MACs, the
 * agent kernel and ramdisk on Anvil's boot server, automated cleaning on;
 * then claims its address and tells the sim (the DHCP stand-in) about it.
 */
export async function enrollForDeploy(
  rig: ProvisionRig,
  index: number,
  protocol: BmcProtocol,
  pool: string,
  fields: Record<string, unknown> = {},
): Promise<EnrolledHost> {
  const host = rig.sim.manifest.hosts[index];
  if (host === undefined) throw new Error(`the sim manifest has no host ${index}`);
  const { driver_info: extraInfo, ...rest } = fields as { driver_info?: Record<string, unknown> };
  const uuid = await enroll(rig.svc, host, protocol, {
    automated_clean: true,
    instance_info: {},
    ...rest,
  });
  // enroll() puts placeholder deploy images in driver_info; these are the real ones.
  const info = await rig.svc.request('PATCH', `/v1/nodes/${uuid}`, [
    { op: 'add', path: '/driver_info/deploy_kernel', value: rig.deployImages.deploy_kernel },
    { op: 'add', path: '/driver_info/deploy_ramdisk', value: rig.deployImages.deploy_ramdisk },
    ...Object.entries(extraInfo ?? {}).map(([key, value]) => ({ op: 'add', path: `/driver_info/${key}`, value })),
  ]);
  expect(info.status, info.text).toBe(200);
  for (const [i, address] of host.macs.entries()) {
    const res = await rig.svc.request('POST', '/v1/ports', { node_uuid: uuid, address, pxe_enabled: i === 0 });
    expect(res.status, res.text).toBe(201);
  }
  const claim = await rig.svc.request('PUT', `/v1/anvil/nodes/${uuid}/addresses`, { pools: [pool] });
  expect(claim.status, claim.text).toBe(200);
  const v4 = (claim.body.addresses as { family: string; address: string; prefix: number }[]).find(
    (a) => a.family === 'ipv4',
  );
  expect(v4, claim.text).toBeDefined();
  rig.leases.set(host.macs[0]!, v4!.address);
  return { uuid, host, address: v4!.address, prefix: v4!.prefix };
}

/** `PATCH instance_info` with the image and its sha256 as Glance's os_hash fields. */
export async function setImage(svc: TestService, uuid: string, image: { url: string; sha256: string }): Promise<void> {
  const res = await svc.request('PATCH', `/v1/nodes/${uuid}`, [
    { op: 'add', path: '/instance_info/image_source', value: image.url },
    { op: 'add', path: '/instance_info/image_os_hash_algo', value: 'sha256' },
    { op: 'add', path: '/instance_info/image_os_hash_value', value: image.sha256 },
    { op: 'add', path: '/instance_info/image_disk_format', value: 'raw' },
  ]);
  expect(res.status, res.text).toBe(200);
}

export function userDataFor(hostname: string): string {
  return `#cloud-config\nhostname: ${hostname}\nruncmd:\n  - echo provisioned by anvil\n`;
}

/** `PUT states/provision {target: active, configdrive}` at 1.56, where a JSON config drive is accepted. */
export async function requestDeploy(svc: TestService, uuid: string, hostname: string): Promise<void> {
  const res = await svc.request(
    'PUT',
    `/v1/nodes/${uuid}/states/provision`,
    { target: 'active', configdrive: { meta_data: { hostname }, user_data: userDataFor(hostname) } },
    '1.56',
  );
  expect(res.status, res.text).toBe(202);
}

/** Deploys and waits for `active`. */
export async function deploy(
  svc: TestService,
  uuid: string,
  hostname: string,
  ms = 30_000,
): Promise<Record<string, any>> {
  await requestDeploy(svc, uuid, hostname);
  return reaches(svc, uuid, 'active', ms);
}

/** Waits until the sim host's installed OS is up (it boots from disk just after Anvil says active). */
export async function osRunning(
  rig: ProvisionRig,
  name: string,
  since: string | null = null,
  ms = 10_000,
): Promise<SimHostSnapshot> {
  const deadline = Date.now() + ms;
  for (;;) {
    const seen = await simHost(rig.sim, name);
    if (seen.os?.running === true && seen.os.bootedAt !== since) return seen;
    if (Date.now() > deadline) {
      throw new Error(
        `${name}'s OS did not come up within ${ms} ms; last boot steps:\n${seen.bootSteps
          .slice(-8)
          .map((s) => `${s.kind} ${s.outcome} ${s.source}: ${s.detail}`)
          .join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface HistoryRecord {
  event: string;
  event_type: string;
  severity: string;
}

/** The node's whole history with event types (`?detail=True`, API 1.78). */
export async function detailedHistory(svc: TestService, uuid: string): Promise<HistoryRecord[]> {
  const res = await svc.request('GET', `/v1/nodes/${uuid}/history?detail=True`, undefined, '1.78');
  expect(res.status, res.text).toBe(200);
  return res.body.history as HistoryRecord[];
}

/** A person's reading of the sim host's last boot steps, for failure messages. */
export function bootLog(seen: SimHostSnapshot, last = 12): string {
  return seen.bootSteps
    .slice(-last)
    .map((s) => `#${s.boot} ${s.kind} ${s.outcome} ${s.source}: ${s.detail}`)
    .join('\n');
}

/**
 * `reaches` for a fleet: the same test (the conductor let go of the node in
 * `state`, or with an error), polled every `intervalMs`. A hundred clients
 * polling every 20 ms would spend the two cores on GETs, starving the boots
 * they wait for.
 */
export async function settlesIn(
  svc: TestService,
  uuid: string,
  state: string,
  ms: number,
  intervalMs: number,
): Promise<Record<string, any>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await svc.request('GET', `/v1/nodes/${uuid}`);
    const node = res.body as Record<string, any>;
    const resting = res.status === 200 && node.reservation === null && node.target_power_state === null;
    if (resting && (node.provision_state === state || node.last_error !== null)) {
      expect(node.provision_state, `node ${String(node.name)} (last_error: ${String(node.last_error)})`).toBe(state);
      return node;
    }
    if (Date.now() > deadline)
      throw new Error(
        `node ${String(node.name)} not in ${state} within ${ms} ms: ${node.provision_state} (last_error: ${String(node.last_error)})`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Requests a provision change (202) and polls, gently, until the node rests in `state`. */
export async function driveGently(
  svc: TestService,
  uuid: string,
  body: Record<string, unknown>,
  state: string,
  ms: number,
  intervalMs: number,
  version?: string,
): Promise<Record<string, any>> {
  const res = await provision(svc, uuid, body, version);
  expect(res.status, `${JSON.stringify(body)} on ${uuid}: ${res.text}`).toBe(202);
  return settlesIn(svc, uuid, state, ms, intervalMs);
}
