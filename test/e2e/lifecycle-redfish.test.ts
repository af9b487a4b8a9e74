// Issue 5's first Proof on the Redfish sim: nodes enrolled from the sim's
// manifest live their whole life through the REST API alone, and the
// simulated machine's console (the sim control API) shows that its BMC was
// really told to make each power and boot-device change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { commandsSince, drive, enroll, historyEvents, manifestHost, power, settled, simHost } from './sim-nodes.js';

let sim: SimFleet;
let svc: TestService;

beforeAll(async () => {
  sim = await startSimFleet({ fleet: createFleet({ count: 5, seed: 5 }), redfishPort: 0, ipmiBasePort: 0 });
  svc = await startTestService('sqlite', { ANVIL_POWER_STATE_CHANGE_TIMEOUT: '5' });
});

afterAll(async () => {
  await svc?.close();
  await sim?.close();
});

const RESET = 'Actions/ComputerSystem.Reset';

describe('a Redfish node driven through the REST API', () => {
  it('goes enroll → manage → inspect → provide → deploy to wait call-back → deleted → available, its BMC told each power and boot change', async () => {
    const host = manifestHost(sim, 0);
    const system = `/redfish/v1/Systems/${host.name}`;
    const uuid = await enroll(svc, host, 'redfish');

    // manage: verifying reads the power state from the BMC.
    let mark = (await simHost(sim, host.name)).history.length;
    let node = await drive(svc, uuid, { target: 'manage' }, 'manageable');
    expect(node.last_error).toBeNull();
    expect(node.power_state).toBe('power off');
    expect(commandsSince(await simHost(sim, host.name), mark)).toContain(`GET ${system}`);

    // inspect, out of band: properties from the machine's own inventory, a port per NIC.
    node = await drive(svc, uuid, { target: 'inspect' }, 'manageable');
    const machine = await simHost(sim, host.name);
    expect(node.last_error).toBeNull();
    expect(node.inspect_interface).toBe('redfish');
    expect(node.inspection_finished_at).not.toBeNull();
    expect(node.properties).toMatchObject({
      cpus: machine.cpu.count * machine.cpu.coresPerSocket * machine.cpu.threadsPerCore,
      memory_mb: machine.memoryMiB,
      cpu_arch: machine.cpu.arch,
      local_gb: Math.floor(Math.max(...machine.disks.map((d) => d.sizeBytes)) / 2 ** 30) - 1,
    });
    const ports = await svc.request('GET', `/v1/nodes/${uuid}/ports?fields=address`);
    expect(ports.status, ports.text).toBe(200);
    expect((ports.body.ports as { address: string }[]).map((p) => p.address).sort()).toEqual([...host.macs].sort());

    // provide with automated_clean false: straight through cleaning, the machine untouched.
    mark = machine.history.length;
    node = await drive(svc, uuid, { target: 'provide' }, 'available');
    expect(node.last_error).toBeNull();
    expect(
      commandsSince(await simHost(sim, host.name), mark).filter((c) => c.startsWith('POST') || c.startsWith('PATCH')),
    ).toEqual([]);

    // deploy: a one-time PXE boot override, then power on; the node waits for its agent.
    node = await drive(svc, uuid, { target: 'active' }, 'wait call-back');
    expect(node.target_provision_state).toBe('active');
    expect(node.power_state).toBe('power on');
    let seen = await simHost(sim, host.name);
    const deployCommands = commandsSince(seen, mark);
    const override = deployCommands.indexOf(`PATCH ${system}`);
    expect(override, deployCommands.join('\n')).toBeGreaterThanOrEqual(0);
    expect(deployCommands.indexOf(`POST ${system}/${RESET}`), deployCommands.join('\n')).toBeGreaterThan(override);
    expect(seen.power).toBe('On');
    expect(seen.lastBoot).toMatchObject({ device: 'pxe', mode: 'uefi', outcome: 'booted' });
    // The boot that used the override consumed it: it was set "once", not persistently.
    expect(seen.boot).toMatchObject({ target: 'none', enabled: 'disabled' });

    // Aborting wait call-back needs API 1.110, past Anvil's 1.95; `deleted` is allowed from there.
    const abort = await svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'abort' }, '1.95');
    expect(abort.status).toBe(406);
    mark = seen.history.length;
    node = await drive(svc, uuid, { target: 'deleted' }, 'available');
    expect(node.last_error).toBeNull();
    expect(node.power_state).toBe('power off');
    seen = await simHost(sim, host.name);
    expect(seen.power).toBe('Off');
    expect(commandsSince(seen, mark)).toContain(`POST ${system}/${RESET}`);

    expect(await historyEvents(svc, uuid)).toEqual([
      'Provision action "manage" requested: enroll -> verifying',
      'verifying -> manageable (done)',
      'Provision action "inspect" requested: manageable -> inspecting',
      'inspecting -> manageable (done)',
      'Provision action "provide" requested: manageable -> cleaning',
      'cleaning -> available (done)',
      'Provision action "active" requested: available -> deploying',
      'deploying -> wait call-back (wait)',
      'Provision action "deleted" requested: wait call-back -> deleting',
      'deleting -> cleaning (clean)',
      'cleaning -> available (done)',
    ]);
  });

  it('serves the out-of-band inventory at GET /v1/nodes/{id}/inventory (1.81) in the agent format, its NICs and disks those of the machine', async () => {
    const host = manifestHost(sim, 1);
    const uuid = await enroll(svc, host, 'redfish');
    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    expect((await svc.request('GET', `/v1/nodes/${uuid}/inventory`, undefined, '1.81')).status).toBe(404);
    await drive(svc, uuid, { target: 'inspect' }, 'manageable');
    const machine = await simHost(sim, host.name);

    expect((await svc.request('GET', `/v1/nodes/${uuid}/inventory`, undefined, '1.80')).status).toBe(404);
    const res = await svc.request('GET', `/v1/nodes/${uuid}/inventory`, undefined, '1.81');
    expect(res.status, res.text).toBe(200);
    expect(res.body.inventory).toMatchObject({
      system_vendor: { manufacturer: machine.vendor, product_name: machine.model, serial_number: machine.serial },
      cpu: { architecture: machine.cpu.arch },
      memory: { physical_mb: machine.memoryMiB },
    });
    expect((res.body.inventory.interfaces as { mac_address: string }[]).map((i) => i.mac_address)).toEqual(
      machine.nics.map((n) => n.mac),
    );
    expect((res.body.inventory.disks as { size: number }[]).map((d) => d.size)).toEqual(
      machine.disks.map((d) => d.sizeBytes),
    );
  });

  it('applies a BIOS setting in a manual clean: the machine has it after the reboot that applies it, and is left off', async () => {
    const host = manifestHost(sim, 2);
    const system = `/redfish/v1/Systems/${host.name}`;
    const uuid = await enroll(svc, host, 'redfish');
    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    const before = await simHost(sim, host.name);
    expect(before.bios.ProcTurboMode).toBe('Enabled');

    const node = await drive(
      svc,
      uuid,
      {
        target: 'clean',
        clean_steps: [
          {
            interface: 'bios',
            step: 'apply_configuration',
            args: { settings: [{ name: 'ProcTurboMode', value: 'Disabled' }] },
          },
        ],
      },
      'manageable',
    );
    expect(node.last_error).toBeNull();
    expect(node.clean_step).toEqual({});
    expect(node.power_state).toBe('power off');

    const after = await simHost(sim, host.name);
    expect(after.bios.ProcTurboMode).toBe('Disabled');
    expect(after.pendingBios).toEqual({});
    expect(after.bootCount).toBe(before.bootCount + 1);
    expect(after.power).toBe('Off');
    const commands = commandsSince(after, before.history.length);
    const staged = commands.indexOf(`PATCH ${system}/Bios/Settings`);
    expect(staged, commands.join('\n')).toBeGreaterThanOrEqual(0);
    // The reboot that applies the setting, then the power-off that ends the clean.
    expect(commands.slice(staged).filter((c) => c === `POST ${system}/${RESET}`)).toHaveLength(2);
    expect(await historyEvents(svc, uuid)).toContain('cleaning -> manageable (manage)');
  });

  it("updates firmware by Ironic's component name in a manual clean, and fails the clean at once for a component the BMC lacks", async () => {
    const host = manifestHost(sim, 4);
    const uuid = await enroll(svc, host, 'redfish');
    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    const update = (component: string) => ({
      target: 'clean',
      clean_steps: [
        {
          interface: 'firmware',
          step: 'update',
          args: { settings: [{ component, url: 'http://127.0.0.1:9/bios-2.1.0.bin' }] },
        },
      ],
    });
    const node = await drive(svc, uuid, update('bios'), 'manageable', 30_000);
    expect(node.last_error).toBeNull();
    const after = await simHost(sim, host.name);
    expect(after.firmware.find((f) => f.id === 'BIOS')?.version).toBe('2.1.0');
    const firmware = await svc.request('GET', `/v1/nodes/${uuid}/firmware`, undefined, '1.86');
    expect(firmware.body.firmware.find((c: { component: string }) => c.component === 'bios').current_version).toBe(
      '2.1.0',
    );

    const failed = await drive(svc, uuid, update('gpu0'), 'clean failed');
    expect(failed.last_error).toContain('no firmware component gpu0');
  });

  it('powers a node on, reboots it and powers it off through PUT states/power, each seen by the BMC and kept in the node history', async () => {
    const host = manifestHost(sim, 3);
    const system = `/redfish/v1/Systems/${host.name}`;
    const uuid = await enroll(svc, host, 'redfish');
    await drive(svc, uuid, { target: 'manage' }, 'manageable');

    const steps: [target: string, recorded: string, machine: 'On' | 'Off', boots: number][] = [
      ['power on', 'power on', 'On', 1],
      ['rebooting', 'power on', 'On', 1],
      ['power off', 'power off', 'Off', 0],
    ];
    for (const [target, recorded, machine, boots] of steps) {
      const before = await simHost(sim, host.name);
      const res = await power(svc, uuid, target);
      expect(res.status, res.text).toBe(202);
      const node = await settled(svc, uuid);
      expect(node.power_state, target).toBe(recorded);
      expect(node.last_error).toBeNull();
      const after = await simHost(sim, host.name);
      expect(after.power, target).toBe(machine);
      expect(after.bootCount - before.bootCount, target).toBe(boots);
      expect(
        commandsSince(after, before.history.length).filter((c) => c === `POST ${system}/${RESET}`),
        target,
      ).toHaveLength(1);
    }
    expect((await historyEvents(svc, uuid)).filter((e) => e.startsWith('Power'))).toEqual([
      'Power "power on" done: the node is power on',
      'Power "rebooting" done: the node is power on',
      'Power "power off" done: the node is power off',
    ]);
  });
});
