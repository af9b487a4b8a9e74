// Inspection rules (API 1.96) applied to simulated hosts as they are
// inspected, both ways: out of band through their Redfish BMC, and in band by
// the agent they network-boot, which posts its inventory to
// continue_inspection. Rules are written through the REST API; what they did
// is read back through it, and the machines are looked at on the sim's console.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimManifestHost } from '../../sim/host/index.js';
import { eventually } from '../support/service.js';
import { bootLog, createPool, enrollForDeploy, startProvisionRig, type ProvisionRig } from './provision-rig.js';
import { drive, provision, reaches, simHost } from './sim-nodes.js';

const V = '1.96';
const POOL = 'rules';
const NOT_WELCOME = 'this machine is not welcome';

let rig: ProvisionRig;
let hosts: SimManifestHost[];
/** Each host's memory as its machine has it. */
let memory: number[];

beforeAll(async () => {
  rig = await startProvisionRig({ hosts: 4, seed: 96 });
  await createPool(rig.svc, POOL, '127.96.0.0');
  hosts = rig.sim.manifest.hosts;
  memory = await Promise.all(hosts.map(async (h) => (await simHost(rig.sim, h.name)).memoryMiB));
  const nameOf = (i: number) => `${hosts[i]!.name}-redfish`;

  const rules = [
    // Every host has more memory than the smallest less one: this rule matches them all.
    {
      description: 'big machines',
      priority: 20,
      conditions: [{ op: 'gt', args: { values: ['{inventory[memory][physical_mb]}', Math.min(...memory) - 1] } }],
      actions: [
        { op: 'add-trait', args: { name: 'CUSTOM_BIG' } },
        {
          op: 'set-attribute',
          args: { path: '/properties/memory_class', value: 'big-{inventory[memory][physical_mb]}' },
        },
        { op: 'set-capability', args: { name: 'rules', value: 'seen' } },
        { op: 'set-plugin-data', args: { path: 'rules.checked_by', value: 'big machines' } },
      ],
    },
    // None has more than the largest: never applied.
    {
      description: 'huge machines',
      priority: 30,
      conditions: [{ op: 'gt', args: { values: ['{inventory[memory][physical_mb]}', Math.max(...memory)] } }],
      actions: [{ op: 'add-trait', args: { name: 'CUSTOM_HUGE' } }],
    },
    // Hosts 0 and 1 have their first port named after the NIC the inventory lists first.
    ...[0, 1].map((i) => ({
      description: `first NIC of ${nameOf(i)}`,
      conditions: [{ op: 'eq', args: { values: ['{node.name}', nameOf(i)] } }],
      actions: [
        {
          op: 'set-port-attribute',
          args: { port_id: hosts[i]!.macs[0], path: 'extra/first_nic', value: '{inventory[interfaces][0][name]}' },
        },
      ],
    })),
    // Hosts 2 and 3 are refused, before the big machines rule can run.
    {
      description: 'refused hosts',
      priority: 90,
      conditions: [{ op: 'one-of', args: { value: '{node.name}', values: [nameOf(2), nameOf(3)] } }],
      actions: [
        { op: 'set-attribute', args: { path: '/extra/refused_by', value: 'rule' } },
        { op: 'fail', args: { msg: NOT_WELCOME } },
      ],
    },
  ];
  for (const rule of rules) {
    const res = await rig.svc.request('POST', '/v1/inspection_rules', rule, V);
    expect(res.status, res.text).toBe(201);
  }
});

afterAll(async () => {
  await rig?.close();
});

async function node(uuid: string): Promise<Record<string, any>> {
  return (await rig.svc.request('GET', `/v1/nodes/${uuid}`, undefined, '1.96')).body as Record<string, any>;
}

async function expectRulesApplied(uuid: string, index: number): Promise<void> {
  const inspected = await node(uuid);
  expect(inspected.traits).toContain('CUSTOM_BIG');
  expect(inspected.traits).not.toContain('CUSTOM_HUGE');
  // What inspection found stays, beside what the rules set.
  expect(inspected.properties).toMatchObject({ memory_mb: memory[index], memory_class: `big-${memory[index]}` });
  expect(String(inspected.properties.capabilities)).toContain('rules:seen');
  const stored = await rig.svc.request('GET', `/v1/nodes/${uuid}/inventory`, undefined, '1.81');
  expect(stored.status, stored.text).toBe(200);
  expect(stored.body.plugin_data.rules).toEqual({ checked_by: 'big machines' });
  const firstNic = stored.body.inventory.interfaces[0].name as string;
  const port = await rig.svc.request('GET', `/v1/ports/detail?address=${hosts[index]!.macs[0]!}`);
  expect(port.body.ports[0].extra).toEqual({ first_nic: firstNic });
}

async function inspectionFails(uuid: string): Promise<Record<string, any>> {
  const res = await provision(rig.svc, uuid, { target: 'inspect' });
  expect(res.status, res.text).toBe(202);
  const failed = await eventually(
    () => node(uuid),
    (n) => n.reservation === null && n.provision_state === 'inspect failed',
    30_000,
  );
  expect(failed.traits).toEqual([]);
  // What the rule did before it failed the inspection is kept, as in Ironic.
  expect(failed.extra).toMatchObject({ refused_by: 'rule' });
  return failed;
}

describe('inspection rules applied as hosts are inspected', () => {
  it('out of band: a Redfish host inspected through its BMC gets what the matching rules set', async () => {
    const { uuid } = await enrollForDeploy(rig, 0, 'redfish', POOL);
    await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');
    const inspected = await drive(rig.svc, uuid, { target: 'inspect' }, 'manageable');
    expect(inspected.last_error).toBeNull();
    expect(inspected.inspect_interface).toBe('redfish');
    await expectRulesApplied(uuid, 0);
  });

  it('in band: a host inspected by its agent gets what the matching rules set once the agent reports', async () => {
    const { uuid, host } = await enrollForDeploy(rig, 1, 'redfish', POOL, { inspect_interface: 'agent' });
    await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');
    const inspected = await drive(rig.svc, uuid, { target: 'inspect' }, 'manageable', 30_000);
    const seen = await simHost(rig.sim, host.name);
    expect(inspected.last_error, bootLog(seen)).toBeNull();
    expect(seen.bootSteps.some((s) => s.kind === 'inspection' && s.outcome === 'ok')).toBe(true);
    expect(seen.power).toBe('Off');
    await expectRulesApplied(uuid, 1);
  });

  it('a fail action fails the inspection with its message, out of band and in band', async () => {
    const outOfBand = await enrollForDeploy(rig, 2, 'redfish', POOL);
    const inBand = await enrollForDeploy(rig, 3, 'redfish', POOL, { inspect_interface: 'agent' });
    await drive(rig.svc, outOfBand.uuid, { target: 'manage' }, 'manageable');
    await drive(rig.svc, inBand.uuid, { target: 'manage' }, 'manageable');

    const [oob, agent] = await Promise.all([inspectionFails(outOfBand.uuid), inspectionFails(inBand.uuid)]);
    expect(oob.last_error).toBe(`Failed to inspect hardware. Reason: ${NOT_WELCOME}`);
    expect(agent.last_error).toBe(`Failed to finish inspection: Failed to inspect hardware. Reason: ${NOT_WELCOME}`);
    // The agent's machine is powered off, as after any inspection.
    const seen = await simHost(rig.sim, inBand.host.name);
    expect(
      seen.bootSteps.some((s) => s.kind === 'inspection' && s.outcome === 'ok'),
      bootLog(seen),
    ).toBe(true);
    expect(seen.power).toBe('Off');

    // Without the rule, the same host is inspected.
    const list = await rig.svc.request('GET', '/v1/inspection_rules?fields=uuid,description', undefined, V);
    const refusing = (list.body.inspection_rules as { uuid: string; description: string }[]).find(
      (r) => r.description === 'refused hosts',
    );
    expect((await rig.svc.request('DELETE', `/v1/inspection_rules/${refusing!.uuid}`, undefined, V)).status).toBe(204);
    await drive(rig.svc, outOfBand.uuid, { target: 'manage' }, 'manageable');
    await provision(rig.svc, outOfBand.uuid, { target: 'inspect' });
    const again = await reaches(rig.svc, outOfBand.uuid, 'manageable');
    expect(again.traits).toContain('CUSTOM_BIG');
  });
});
