import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../../../sim/fleet-runner.js';
import { createFleet } from '../../../../sim/host/index.js';
import { describeOnEngines, eventually, type TestService } from '../../../support/service.js';

const credentials = { username: 'admin', password: 'sim-password' };
let sim: SimFleet;

beforeAll(async () => {
  sim = await startSimFleet({ fleet: createFleet({ count: 8, seed: 11 }), credentials });
});
afterAll(async () => {
  await sim?.close();
});

/** An IPMI node for sim host `i`, taken to manageable. */
async function manageableNode(svc: TestService, i: number): Promise<{ uuid: string; host: string }> {
  const host = sim.manifest.hosts[i]!;
  const port = Number(new URL(host.ipmi.address.replace('ipmi://', 'http://')).port);
  const res = await svc.request('POST', '/v1/nodes', {
    driver: 'ipmi',
    name: `${host.name}-${svc.db.engine}`,
    driver_info: {
      ipmi_address: '127.0.0.1',
      ipmi_port: port,
      ipmi_username: host.ipmi.username,
      ipmi_password: host.ipmi.password,
    },
  });
  expect(res.status, res.text).toBe(201);
  await svc.request('PUT', `/v1/nodes/${res.body.uuid}/states/provision`, { target: 'manage' });
  await eventually(
    () => svc.request('GET', `/v1/nodes/${res.body.uuid}`),
    (r) => r.body.provision_state === 'manageable' && r.body.reservation === null,
    30_000,
  );
  return { uuid: res.body.uuid, host: host.name };
}

const simHost = (name: string) => sim.fleet.get(name)!;

/** A provision request, retried on 409 as Ironic's clients do while a periodic pass holds the node. */
async function provision(svc: TestService, uuid: string, target: string): Promise<void> {
  const res = await eventually(
    () => svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, { target }),
    (r) => r.status !== 409,
    10_000,
  );
  expect(res.status, res.text).toBe(202);
}

async function setFaults(host: string, faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sim.redfish.url}/sim/v1/hosts/${host}/faults`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(faults),
  });
  expect(res.status).toBeLessThan(300);
}

describeOnEngines(
  'power sync forces the recorded state onto drifted hardware',
  (svc) => {
    it('powers a machine that came on by itself back off', async () => {
      const { uuid, host } = await manageableNode(svc(), 0);
      simHost(host).powerAction('ForceOff');
      await svc().request('PUT', `/v1/nodes/${uuid}/states/power`, { target: 'power off' });
      await eventually(
        () => svc().request('GET', `/v1/nodes/${uuid}`),
        (r) => r.body.power_state === 'power off' && r.body.target_power_state === null && r.body.reservation === null,
      );
      simHost(host).powerAction('On');
      // The history entry is written once the BMC has done it, so it is the later of the two to look for.
      await eventually(
        async () =>
          (await svc().request('GET', `/v1/nodes/${uuid}/history`)).body.history.map((h: { event: string }) => h.event),
        (events: string[]) =>
          events.includes(
            'Power sync: the hardware was power on, recorded power off; the recorded state was forced onto the hardware',
          ),
        30_000,
      );
      expect(simHost(host).power).toBe('Off');
    }, 60_000);

    it('moves a node whose BMC stops answering to maintenance with fault "power failure", and back out when it answers', async () => {
      const { uuid, host } = await manageableNode(svc(), 1);
      await setFaults(host, { hang: true });
      let failed;
      try {
        failed = await eventually(
          () => svc().request('GET', `/v1/nodes/${uuid}`),
          (r) => r.body.fault === 'power failure',
          30_000,
        );
      } finally {
        await setFaults(host, {});
      }
      expect(failed.body.maintenance).toBe(true);
      expect(failed.body.maintenance_reason).toMatch(/^Power sync failed 2 times in a row/);
      expect(failed.body.maintenance_reason).not.toContain(sim.manifest.hosts[1]!.ipmi.password);
      const recovered = await eventually(
        () => svc().request('GET', `/v1/nodes/${uuid}`),
        (r) => r.body.fault === null,
        30_000,
      );
      expect(recovered.body.maintenance).toBe(false);
      expect(recovered.body.power_state).not.toBeNull();
    }, 60_000);

    it('fails a node that waited for its agent past the deploy callback timeout', async () => {
      const { uuid } = await manageableNode(svc(), 2);
      await svc().request('PATCH', `/v1/nodes/${uuid}`, [
        { op: 'add', path: '/driver_info/deploy_kernel', value: 'http://127.0.0.1/k' },
        { op: 'add', path: '/driver_info/deploy_ramdisk', value: 'http://127.0.0.1/r' },
        // A deploy that could not start would fail at once: this one has its image and a port, only no agent ever comes.
        { op: 'add', path: '/instance_info/image_source', value: 'http://127.0.0.1/disk.img' },
        { op: 'add', path: '/instance_info/image_checksum', value: 'sha256:0000' },
        { op: 'add', path: '/automated_clean', value: false },
      ]);
      const sim2 = sim.manifest.hosts[2]!;
      const port = await svc().request('POST', '/v1/ports', { node_uuid: uuid, address: sim2.macs[0] });
      expect(port.status, port.text).toBe(201);
      await provision(svc(), uuid, 'provide');
      await eventually(
        () => svc().request('GET', `/v1/nodes/${uuid}`),
        (r) => r.body.provision_state === 'available',
        30_000,
      );
      // The wait lasts a second: the node may pass through wait call-back between two looks.
      await provision(svc(), uuid, 'active');
      const failed = await eventually(
        () => svc().request('GET', `/v1/nodes/${uuid}`),
        (r) => r.body.provision_state === 'deploy failed',
        30_000,
      );
      expect(failed.body.last_error).toMatch(
        /^Timeout reached while waiting for callback for node .* in "wait call-back" \(1 s\); no agent ever called back\.$/,
      );
      const events = (await svc().request('GET', `/v1/nodes/${uuid}/history`)).body.history.map(
        (h: { event: string }) => h.event,
      );
      expect(events).toContain('deploying -> wait call-back (wait)');
    }, 60_000);
  },
  {
    ANVIL_POWER_SYNC_INTERVAL: '0.3',
    ANVIL_POWER_SYNC_MAX_RETRIES: '2',
    ANVIL_POWER_FAILURE_RECOVERY_INTERVAL: '0.5',
    ANVIL_CHECK_PROVISION_STATE_INTERVAL: '0.3',
    ANVIL_DEPLOY_CALLBACK_TIMEOUT: '1',
    ANVIL_BMC_ATTEMPTS: '1',
    ANVIL_BMC_TIMEOUT: '4',
  },
);

describeOnEngines(
  'power sync in record mode',
  (svc) => {
    it('records the hardware state instead of forcing it', async () => {
      const { uuid, host } = await manageableNode(svc(), 3);
      const before = (await svc().request('GET', `/v1/nodes/${uuid}`)).body.power_state;
      simHost(host).powerAction(before === 'power on' ? 'ForceOff' : 'On');
      const expected = before === 'power on' ? 'power off' : 'power on';
      await eventually(
        () => svc().request('GET', `/v1/nodes/${uuid}`),
        (r) => r.body.power_state === expected,
        30_000,
      );
      expect(simHost(host).power).toBe(before === 'power on' ? 'Off' : 'On');
    });
  },
  { ANVIL_POWER_SYNC_INTERVAL: '0.3', ANVIL_FORCE_POWER_STATE_DURING_SYNC: 'false' },
);
