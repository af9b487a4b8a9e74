// Issue 15's machines on sim hosts that network-boot: Cluster API machines
// claim Redfish and IPMI hosts by label and failure domain, are deployed
// through the real agent path, and the installed OS finds its hostname,
// user data and IPAM address on the config drive. More machines than hosts
// leave the rest pending with a reason until a delete frees a host; a host
// whose BMC hangs is rebooted up to the limit, then marked unhealthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type TestService } from '../support/service.js';
import { machineBody } from './machine-body.js';
import { drive, setHostFaults } from './sim-nodes.js';
import { createPool, enrollForDeploy, osRunning, startProvisionRig, type ProvisionRig } from './provision-rig.js';

type Body = Record<string, any>;

let rig: ProvisionRig;
const hosts: { uuid: string; name: string; domain: string }[] = [];

beforeAll(async () => {
  rig = await startProvisionRig({ hosts: 4, seed: 151 });
  await createPool(rig.svc, 'mach-prov', '127.151.0.0');
  // The machines' own network, beside the provisioning one the hosts boot the agent on.
  await createPool(rig.svc, 'mach-net', '127.152.0.0');
  const protocols = ['redfish', 'redfish', 'ipmi', 'ipmi'] as const;
  await Promise.all(
    protocols.map(async (protocol, i) => {
      const domain = i % 2 === 0 ? 'a' : 'b';
      const { uuid, host } = await enrollForDeploy(rig, i, protocol, 'mach-prov', {
        extra: { rack: 'r1', failure_domain: domain },
      });
      await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');
      await drive(rig.svc, uuid, { target: 'provide' }, 'available', 30_000);
      hosts[i] = { uuid, name: host.name, domain };
    }),
  );
});

afterAll(async () => {
  await rig?.close();
});

function machine(name: string, spec: Body = {}): Body {
  return machineBody(name, rig.image, 'mach-net', spec);
}

async function create(svc: TestService, body: Body): Promise<void> {
  const res = await svc.request('POST', '/v1/anvil/machines', body);
  expect(res.status, res.text).toBe(201);
}

async function inPhase(svc: TestService, name: string, phase: string, ms = 60_000): Promise<Body> {
  const res = await eventually(
    () => svc.request('GET', `/v1/anvil/machines/${name}`),
    (r) => r.status === 200 && (r.body.status.phase === phase || r.body.status.phase === 'failed'),
    ms,
  );
  expect(res.body.status.phase, JSON.stringify(res.body.status)).toBe(phase);
  return res.body as Body;
}

const hostOf = (m: Body) => hosts.find((h) => h.uuid === m.status.node_uuid)!;

describe('Cluster API machines on network-booting sim hosts', () => {
  it('provisions machines over Redfish and IPMI hosts in their failure domains; the OS sees its name, user data and address; a delete fulfils a pending machine', async () => {
    const { svc } = rig;
    await create(svc, machine('cp-0', { role: 'control-plane', failure_domain: 'a' }));
    await create(svc, machine('cp-1', { role: 'control-plane', failure_domain: 'b' }));
    await create(svc, machine('worker-0'));
    const provisioned = await Promise.all(['cp-0', 'cp-1', 'worker-0'].map((n) => inPhase(svc, n, 'provisioned')));

    expect(new Set(provisioned.map((m) => m.status.node_uuid)).size).toBe(3);
    expect(hostOf(provisioned[0]!).domain).toBe('a');
    expect(hostOf(provisioned[1]!).domain).toBe('b');
    for (const m of provisioned) {
      expect(m.status.provider_id).toBe(`anvil://${m.status.node_uuid}`);
      expect(m.status.ready).toBe(true);
      const ip = m.status.addresses.find((a: Body) => a.type === 'InternalIP' && a.address.startsWith('127.152.0.'));
      expect(ip, JSON.stringify(m.status.addresses)).toBeDefined();
      expect(m.status.addresses).toContainEqual({ type: 'Hostname', address: m.name });
      const seen = await osRunning(rig, hostOf(m).name);
      expect(seen.disk?.sha256).toBe(rig.image.sha256);
      expect(seen.os?.hostname).toBe(m.name);
      expect(seen.os?.userData).toBe(`#cloud-config\nhostname: ${m.name}\n`);
      expect(seen.os?.addresses.map((a) => a.address)).toContain(ip.address);
    }

    // One host left for two more machines: one waits, with the reason.
    await create(svc, machine('worker-1'));
    await create(svc, machine('worker-2'));
    const [w1, w2] = await Promise.all(
      ['worker-1', 'worker-2'].map(
        async (n) =>
          (
            await eventually(
              () => svc.request('GET', `/v1/anvil/machines/${n}`),
              (r) => r.body.status.node_uuid !== null || r.body.status.failure_message !== null,
            )
          ).body as Body,
      ),
    );
    const waiting = [w1!, w2!].find((m) => m.status.node_uuid === null)!;
    const running = [w1!, w2!].find((m) => m.status.node_uuid !== null)!;
    expect(waiting, 'exactly one of two machines waits for the last host').toBeDefined();
    expect(running).toBeDefined();
    expect(waiting.status.phase).toBe('pending');
    expect(waiting.status.failure_message).toBe('no available host matches the selector');
    await inPhase(svc, running.name, 'provisioned');

    // Deleting worker-0 undeploys and cleans its host, releases its address, and the waiting machine takes the host.
    const freedHost = provisioned[2]!.status.node_uuid as string;
    const machNet = async () =>
      (await svc.request('GET', `/v1/ipam/addresses?pool=mach-net&limit=100`)).body.addresses as Body[];
    const [oldClaim] = (await machNet()).filter((a) => a.owner === `node:${freedHost}`);
    const freedIp = oldClaim!.address as string;
    expect(provisioned[2]!.status.addresses).toContainEqual({ type: 'InternalIP', address: freedIp });
    expect((await svc.request('DELETE', '/v1/anvil/machines/worker-0')).status).toBe(202);
    const fulfilled = await inPhase(svc, waiting.name, 'provisioned', 90_000);
    expect(fulfilled.status.node_uuid).toBe(freedHost);
    expect((await svc.request('GET', '/v1/anvil/machines/worker-0')).status).toBe(404);
    const node = (await svc.request('GET', `/v1/nodes/${freedHost}`)).body;
    expect(node.instance_uuid).toBe(fulfilled.uuid);
    expect(node.extra['anvil.last_cluster']).toBe('prod');
    // worker-0's claim was released: the host holds one address, under a claim made for the fulfilled machine.
    const held = await machNet();
    expect(held.map((a) => a.claim_uuid)).not.toContain(oldClaim!.claim_uuid);
    const [newClaim, ...more] = held.filter((a) => a.owner === `node:${freedHost}`);
    expect(more).toEqual([]);
    // The lowest free address, so the one worker-0 gave back; the fulfilled machine and its OS see it.
    expect(newClaim!.address).toBe(freedIp);
    expect(fulfilled.status.addresses).toContainEqual({ type: 'InternalIP', address: freedIp });
    expect((await osRunning(rig, hostOf(fulfilled).name)).os?.addresses.map((a) => a.address)).toContain(freedIp);
  });

  it('reboots a host whose BMC hangs up to the limit, then marks it unhealthy and fails its machine', async () => {
    const { svc } = rig;
    const cp0 = await inPhase(svc, 'cp-0', 'provisioned');
    const host = hostOf(cp0);
    await setHostFaults(rig.sim, host.name, { hang: true });
    const asked = await svc.request('POST', '/v1/anvil/machines/cp-0/remediate', {
      strategy: 'reboot',
      retry_limit: 2,
      timeout: 20,
    });
    expect(asked.status, asked.text).toBe(202);
    const failed = await inPhase(svc, 'cp-0', 'failed', 90_000).catch(async () => {
      throw new Error(JSON.stringify((await svc.request('GET', '/v1/anvil/machines/cp-0')).body.status));
    });
    expect(failed.status.failure_reason).toBe('RemediationFailed');
    expect(failed.status.failure_message).toContain('did not come back after 2 reboot(s)');
    const node = (await svc.request('GET', `/v1/nodes/${host.uuid}`)).body;
    expect(node.extra['anvil.unhealthy']).toBe('true');
    await setHostFaults(rig.sim, host.name, { hang: false });
  });

  it('keeps an unhealthy host out of the pool until the mark is cleared, and aborts cleanly a machine deleted mid-deploy', async () => {
    const { svc } = rig;
    const cp0 = (await svc.request('GET', '/v1/anvil/machines/cp-0')).body as Body;
    const host = hostOf(cp0);
    // The failed machine goes; its host, answering again, is undeployed and cleaned, but stays marked.
    expect((await svc.request('DELETE', '/v1/anvil/machines/cp-0')).status).toBe(202);
    await eventually(
      () => svc.request('GET', '/v1/anvil/machines/cp-0'),
      (r) => r.status === 404,
      90_000,
    );
    const marked = (await svc.request('GET', `/v1/nodes/${host.uuid}`)).body;
    expect(marked).toMatchObject({ provision_state: 'available', instance_uuid: null });
    expect(marked.extra['anvil.unhealthy']).toBe('true');

    await create(svc, machine('back-0', { role: 'control-plane', failure_domain: host.domain }));
    const waiting = await eventually(
      () => svc.request('GET', '/v1/anvil/machines/back-0'),
      (r) => r.body.status.failure_message !== null,
    );
    expect(waiting.body.status).toMatchObject({ phase: 'pending', node_uuid: null });

    const cleared = await svc.request('PATCH', `/v1/nodes/${host.uuid}`, [
      { op: 'remove', path: '/extra/anvil.unhealthy' },
    ]);
    expect(cleared.status, cleared.text).toBe(200);
    // Taken again, and deleted while its deploy is under way.
    await eventually(
      () => svc.request('GET', `/v1/nodes/${host.uuid}`),
      (r) => ['deploying', 'wait call-back'].includes(r.body.provision_state as string),
      30_000,
    );
    const machineUuid = (await svc.request('GET', '/v1/anvil/machines/back-0')).body.uuid as string;
    expect((await svc.request('DELETE', '/v1/anvil/machines/back-0')).status).toBe(202);
    await eventually(
      () => svc.request('GET', '/v1/anvil/machines/back-0'),
      (r) => r.status === 404,
      90_000,
    );
    const node = (await svc.request('GET', `/v1/nodes/${host.uuid}`)).body;
    expect(node).toMatchObject({ provision_state: 'available', instance_uuid: null, reservation: null });
    expect(node.instance_uuid).not.toBe(machineUuid);
    const held = await svc.request('GET', `/v1/ipam/addresses?owner=node:${host.uuid}&pool=mach-net`);
    expect(held.body.addresses).toEqual([]);
  });
});
