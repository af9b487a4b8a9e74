// What the end-to-end proofs share: enrolling a simulated host through the
// REST API as an operator would, from the sim's manifest; waiting for the
// conductor to finish with a node; and reading the simulated machine's
// console (the sim control API) to see what its BMC was really told.
import { expect } from 'vitest';
import { enrollmentFromAddress } from '../../bmc-drivers/index.js';
import type { FaultSpec } from '../../sim/faults/index.js';
import type { SimFleet } from '../../sim/fleet-runner.js';
import type { SimHostSnapshot, SimManifestHost } from '../../sim/host/index.js';
import { eventually, type ApiResponse, type TestService } from '../support/service.js';

export type BmcProtocol = 'redfish' | 'ipmi';

/** The agent images a deploy boots; never fetched here, since these sims run without a boot configuration. */
const DEPLOY_IMAGES = {
  deploy_kernel: 'http://127.0.0.1:9/ipa.kernel',
  deploy_ramdisk: 'http://127.0.0.1:9/ipa.initramfs',
};

/** The manifest entry of a fleet host, by index. */
export function manifestHost(sim: SimFleet, index: number): SimManifestHost {
  const host = sim.manifest.hosts[index];
  if (host === undefined) throw new Error(`the sim manifest has no host ${index}`);
  return host;
}

/**
 * `POST /v1/nodes` for a manifest entry, its BMC address read the way Metal3
 * reads a BareMetalHost's (`redfish+http://host:port/redfish/v1/Systems/x`
 * becomes `redfish_address` + `redfish_system_id`), with automated cleaning
 * off (it needs the ramdisk agent) unless the caller says otherwise.
 */
export async function enroll(
  svc: TestService,
  host: SimManifestHost,
  protocol: BmcProtocol,
  fields: Record<string, unknown> = {},
): Promise<string> {
  const bmc = protocol === 'redfish' ? host.redfish : host.ipmi;
  const { driver, driverInfo } = enrollmentFromAddress(bmc.address, { username: bmc.username, password: bmc.password });
  const res = await svc.request('POST', '/v1/nodes', {
    name: `${host.name}-${protocol}`,
    driver,
    driver_info: { ...driverInfo, ...DEPLOY_IMAGES },
    automated_clean: false,
    instance_info: { image_source: 'http://127.0.0.1:9/images/ubuntu.qcow2', image_checksum: 'sha256:0000' },
    ...fields,
  });
  expect(res.status, res.text).toBe(201);
  return res.body.uuid as string;
}

/** `enroll`, then the host's ports: what a node needs to boot over the network (DHCP answers only its MACs). */
export async function enrollWithPorts(
  svc: TestService,
  host: SimManifestHost,
  protocol: BmcProtocol,
  fields: Record<string, unknown> = {},
): Promise<string> {
  const uuid = await enroll(svc, host, protocol, fields);
  await addPorts(svc, uuid, host);
  return uuid;
}

/** Creates the ports of a host's NICs, as an operator does for nodes inspected in-band. */
export async function addPorts(svc: TestService, nodeUuid: string, host: SimManifestHost): Promise<void> {
  for (const address of host.macs) {
    const res = await svc.request('POST', '/v1/ports', { node_uuid: nodeUuid, address });
    expect(res.status, res.text).toBe(201);
  }
}

export async function provision(
  svc: TestService,
  uuid: string,
  body: Record<string, unknown>,
  version?: string,
): Promise<ApiResponse> {
  return svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, body, version);
}

export async function power(svc: TestService, uuid: string, target: string): Promise<ApiResponse> {
  return svc.request('PUT', `/v1/nodes/${uuid}/states/power`, { target });
}

/** Polls the node until the conductor has let go of it with no target left: the step it was given has ended. */
export async function settled(svc: TestService, uuid: string, ms = 20_000): Promise<Record<string, any>> {
  const res = await eventually(
    () => svc.request('GET', `/v1/nodes/${uuid}`),
    (r) =>
      r.status === 200 &&
      r.body.reservation === null &&
      r.body.target_provision_state === null &&
      r.body.target_power_state === null,
    ms,
  );
  return res.body as Record<string, any>;
}

/**
 * Polls the node until the conductor lets go of it in `state` (a wait state
 * keeps its target, so only the lock and the state count), or lets go of it
 * with an error: a failed step is reported at once, not at the deadline.
 */
export async function reaches(
  svc: TestService,
  uuid: string,
  state: string,
  ms = 20_000,
): Promise<Record<string, any>> {
  const res = await eventually(
    () => svc.request('GET', `/v1/nodes/${uuid}`),
    (r) =>
      r.status === 200 &&
      r.body.reservation === null &&
      r.body.target_power_state === null &&
      (r.body.provision_state === state || r.body.last_error !== null),
    ms,
  );
  const node = res.body as Record<string, any>;
  expect(node.provision_state, `node ${String(node.name)} (last_error: ${String(node.last_error)})`).toBe(state);
  return node;
}

/** Requests a provision change (202) and waits until the node rests in `state`. */
export async function drive(
  svc: TestService,
  uuid: string,
  body: Record<string, unknown>,
  state: string,
  ms = 20_000,
): Promise<Record<string, any>> {
  const res = await provision(svc, uuid, body);
  expect(res.status, `${JSON.stringify(body)} on ${uuid}: ${res.text}`).toBe(202);
  return reaches(svc, uuid, state, ms);
}

/** The node's history, oldest first, as `GET /v1/nodes/{id}/history` serves it. */
export async function historyEvents(svc: TestService, uuid: string): Promise<string[]> {
  const res = await svc.request('GET', `/v1/nodes/${uuid}/history`, undefined, '1.78');
  expect(res.status, res.text).toBe(200);
  return (res.body.history as { event: string }[]).map((e) => e.event);
}

/** The machine as the sim's console shows it: power, boot override, the commands its BMC received. */
export async function simHost(sim: SimFleet, name: string): Promise<SimHostSnapshot> {
  const res = await fetch(`${sim.redfish.url}/sim/v1/hosts/${encodeURIComponent(name)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as SimHostSnapshot;
}

/** The commands the machine's BMC received since `mark` (a length of an earlier history). */
export function commandsSince(snapshot: SimHostSnapshot, mark: number): string[] {
  return snapshot.history.slice(mark).map((c) => c.command);
}

export async function setHostFaults(sim: SimFleet, name: string, faults: FaultSpec): Promise<void> {
  const res = await fetch(`${sim.redfish.url}/sim/v1/hosts/${encodeURIComponent(name)}/faults`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(faults),
  });
  expect(res.status, await res.text()).toBe(200);
}

export async function setFleetFaults(sim: SimFleet, faults: FaultSpec): Promise<void> {
  const res = await fetch(`${sim.redfish.url}/sim/v1/faults`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(faults),
  });
  expect(res.status, await res.text()).toBe(200);
}

/** Runs `work` over `items` with at most `limit` in flight, as a careful client does. */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
