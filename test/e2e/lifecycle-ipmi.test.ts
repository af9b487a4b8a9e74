// Issue 5's first Proof on the IPMI sim: a node enrolled from the sim's
// manifest (its ports from the manifest's MACs) lives its whole life through
// the REST API alone, and the simulated machine's console shows each IPMI
// boot-flag and chassis-control command its BMC received.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { faultOf, startTestService, type TestService } from '../support/service.js';
import {
  addPorts,
  commandsSince,
  drive,
  enroll,
  historyEvents,
  manifestHost,
  power,
  provision,
  settled,
  simHost,
} from './sim-nodes.js';

let sim: SimFleet;
let svc: TestService;

beforeAll(async () => {
  sim = await startSimFleet({ fleet: createFleet({ count: 2, seed: 6 }), redfishPort: 0, ipmiBasePort: 0 });
  svc = await startTestService('sqlite', { ANVIL_POWER_STATE_CHANGE_TIMEOUT: '5' });
});

afterAll(async () => {
  await svc?.close();
  await sim?.close();
});

/** The commands that change the machine (reads of chassis status left out). */
function changes(commands: string[]): string[] {
  return commands.filter((c) => c !== 'IPMI Get Chassis Status' && c !== 'IPMI Get Boot Flags');
}

describe('an IPMI node driven through the REST API', () => {
  it('goes enroll → manage → inspect (agent, aborted) → manage → provide → deploy to wait call-back → deleted → available, its BMC told each change', async () => {
    const host = manifestHost(sim, 0);
    const uuid = await enroll(svc, host, 'ipmi');
    await addPorts(svc, uuid, host);

    // manage: verifying reads the chassis power state.
    let mark = (await simHost(sim, host.name)).history.length;
    let node = await drive(svc, uuid, { target: 'manage' }, 'manageable');
    expect(node.last_error).toBeNull();
    expect(node.power_state).toBe('power off');
    expect(commandsSince(await simHost(sim, host.name), mark)).toEqual(['IPMI Get Chassis Status']);

    // inspect: IPMI has no out-of-band inventory, so the agent is booted over PXE and awaited.
    expect(node.inspect_interface).toBe('agent');
    mark = (await simHost(sim, host.name)).history.length;
    node = await drive(svc, uuid, { target: 'inspect' }, 'inspect wait');
    expect(node.target_provision_state).toBe('manageable');
    expect(node.power_state).toBe('power on');
    let seen = await simHost(sim, host.name);
    expect(changes(commandsSince(seen, mark))).toEqual(['IPMI Set Boot Flags pxe', 'IPMI Chassis Control on']);
    expect(seen.power).toBe('On');
    expect(seen.lastBoot).toMatchObject({ device: 'pxe', mode: 'uefi', outcome: 'booted' });
    // Consumed by the boot that used it: the override was "once".
    expect(seen.boot).toMatchObject({ target: 'none', enabled: 'disabled' });

    // No agent will call back here: abort the wait (API 1.41 and later), then manage again.
    const early = await provision(svc, uuid, { target: 'abort' }, '1.40');
    expect(early.status).toBe(406);
    expect(faultOf(early)).toBe('Aborting a node in "inspect wait" requires API version 1.41 or later.');
    mark = (await simHost(sim, host.name)).history.length;
    expect((await provision(svc, uuid, { target: 'abort' }, '1.41')).status).toBe(202);
    node = await settled(svc, uuid);
    expect(node.provision_state).toBe('inspect failed');
    expect(node.last_error).toBe('Inspection was aborted by request.');
    // The ramdisk left waiting is switched off with the abort, as Ironic does.
    expect(node.power_state).toBe('power off');
    expect(changes(commandsSince(await simHost(sim, host.name), mark))).toEqual(['IPMI Chassis Control off']);
    node = await drive(svc, uuid, { target: 'manage' }, 'manageable');
    expect(node.last_error).toBeNull();

    node = await drive(svc, uuid, { target: 'provide' }, 'available');
    expect(node.last_error).toBeNull();

    // deploy: PXE once, and power on: the abort switched the machine off.
    mark = (await simHost(sim, host.name)).history.length;
    const bootsBefore = seen.bootCount;
    node = await drive(svc, uuid, { target: 'active' }, 'wait call-back');
    expect(node.power_state).toBe('power on');
    seen = await simHost(sim, host.name);
    expect(changes(commandsSince(seen, mark))).toEqual(['IPMI Set Boot Flags pxe', 'IPMI Chassis Control on']);
    expect(seen.bootCount).toBe(bootsBefore + 1);
    expect(seen.lastBoot).toMatchObject({ device: 'pxe', outcome: 'booted' });
    expect(seen.boot).toMatchObject({ target: 'none', enabled: 'disabled' });

    // Aborting wait call-back needs API 1.110, past Anvil's 1.95; `deleted` is allowed from there.
    expect((await provision(svc, uuid, { target: 'abort' }, '1.95')).status).toBe(406);
    mark = seen.history.length;
    node = await drive(svc, uuid, { target: 'deleted' }, 'available');
    expect(node.last_error).toBeNull();
    expect(node.power_state).toBe('power off');
    seen = await simHost(sim, host.name);
    expect(seen.power).toBe('Off');
    expect(changes(commandsSince(seen, mark))).toEqual(['IPMI Chassis Control off']);

    expect(await historyEvents(svc, uuid)).toEqual([
      'Provision action "manage" requested: enroll -> verifying',
      'verifying -> manageable (done)',
      'Provision action "inspect" requested: manageable -> inspecting',
      'inspecting -> inspect wait (wait)',
      'Provision action "abort" requested: inspect wait -> inspect failed',
      'Power "power off" done: the node is power off',
      'Provision action "manage" requested: inspect failed -> manageable',
      'Provision action "provide" requested: manageable -> cleaning',
      'cleaning -> available (done)',
      'Provision action "active" requested: available -> deploying',
      'deploying -> wait call-back (wait)',
      'Provision action "deleted" requested: wait call-back -> deleting',
      'deleting -> cleaning (clean)',
      'cleaning -> available (done)',
    ]);
  });

  it('powers a node on, reboots it and powers it off through PUT states/power, each seen by the BMC and kept in the node history', async () => {
    const host = manifestHost(sim, 1);
    const uuid = await enroll(svc, host, 'ipmi');
    await drive(svc, uuid, { target: 'manage' }, 'manageable');

    const steps: [target: string, recorded: string, command: string, machine: 'On' | 'Off', boots: number][] = [
      ['power on', 'power on', 'IPMI Chassis Control on', 'On', 1],
      ['rebooting', 'power on', 'IPMI Chassis Control cycle', 'On', 1],
      ['power off', 'power off', 'IPMI Chassis Control off', 'Off', 0],
    ];
    for (const [target, recorded, command, machine, boots] of steps) {
      const before = await simHost(sim, host.name);
      const res = await power(svc, uuid, target);
      expect(res.status, res.text).toBe(202);
      const node = await settled(svc, uuid);
      expect(node.power_state, target).toBe(recorded);
      expect(node.last_error).toBeNull();
      const after = await simHost(sim, host.name);
      expect(changes(commandsSince(after, before.history.length)), target).toEqual([command]);
      expect(after.power, target).toBe(machine);
      expect(after.bootCount - before.bootCount, target).toBe(boots);
    }
    expect((await historyEvents(svc, uuid)).filter((e) => e.startsWith('Power'))).toEqual([
      'Power "power on" done: the node is power on',
      'Power "rebooting" done: the node is power on',
      'Power "power off" done: the node is power off',
    ]);
  });
});
