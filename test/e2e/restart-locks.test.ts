// A process killed while one of its parts held a node's lock (here a BMC call
// over the conductor's RPC, `<name>:rpc`) leaves that lock in the database.
// Other conductors free the locks of a name that stopped heartbeating; a
// process that comes back under the same name at once must free them itself
// when it starts, as Ironic clears a conductor's reservations on start, or
// the node stays locked for good.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startProcessProvisionRig, type ProcessProvisionRig } from './process-provision-rig.js';
import { enroll, setHostFaults } from './sim-nodes.js';

const NAME = 'anvil-restart';
let rig: ProcessProvisionRig;

beforeAll(async () => {
  rig = await startProcessProvisionRig({
    engine: 'sqlite',
    hosts: 1,
    seed: 181,
    processes: [{ name: 'anvil', role: 'all', env: { ANVIL_CONDUCTOR_NAME: NAME } }],
  });
});

afterAll(async () => {
  await rig?.close();
});

it('releases the locks its killed predecessor held for its parts when it starts again under the same name', async () => {
  const host = rig.sim.manifest.hosts[0]!;
  const uuid = await enroll(rig.svc, host, 'redfish');
  // A BMC that does not answer keeps the boot-device read, and its lock, in flight when the kill falls.
  await setHostFaults(rig.sim, host.name, { hang: true });
  const inFlight = rig.svc.request('GET', `/v1/nodes/${uuid}/management/boot_device`).catch(() => null);
  let held: unknown = null;
  for (let i = 0; i < 100 && held === null; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    held = (await rig.svc.request('GET', `/v1/nodes/${uuid}`)).body.reservation;
  }
  expect(held).toBe(`${NAME}:rpc`);

  await rig.kill('anvil');
  await inFlight;
  await setHostFaults(rig.sim, host.name, { hang: false });
  await rig.restart('anvil');

  const node = (await rig.svc.request('GET', `/v1/nodes/${uuid}`)).body;
  expect(node.reservation).toBeNull();
  const manage = await rig.svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'manage' });
  expect(manage.status, manage.text).toBe(202);
  const history = (await rig.svc.request('GET', `/v1/nodes/${uuid}/history`)).body.history as {
    event: string;
  }[];
  expect(history.map((h) => h.event)).toContainEqual(expect.stringContaining(`Lock of ${NAME}:rpc released`));
}, 60_000);
