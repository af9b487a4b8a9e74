import { describe, expect, it } from 'vitest';
import { offeredSteps, userStepsProblem } from '../../../../services/steps/index.js';
import type { Node } from '../../../../services/nodes/index.js';
import { nodeFixture } from '../../../support/node-fixture.js';

function redfishNode(overrides: Partial<Node> = {}): Node {
  return {
    ...nodeFixture({
      driver: 'redfish',
      bios_interface: 'redfish',
      firmware_interface: 'redfish',
      raid_interface: 'no-raid',
      deploy_interface: 'direct',
    }),
    id: 1,
    ...overrides,
  };
}

describe('the steps a node offers', () => {
  it("follows its interfaces: BIOS and firmware on redfish, none with no-bios, the agent's erase only for cleaning", () => {
    const names = (node: Node, flow: 'clean' | 'service') =>
      offeredSteps(node, flow).map((s) => `${s.interface}.${s.step}`);
    expect(names(redfishNode(), 'clean')).toEqual([
      'bios.apply_configuration',
      'firmware.update',
      'deploy.erase_devices_metadata',
      'deploy.erase_devices',
    ]);
    expect(names(redfishNode(), 'service')).toEqual(['bios.apply_configuration', 'firmware.update']);
    expect(names(redfishNode({ bios_interface: 'no-bios', firmware_interface: 'no-firmware' }), 'service')).toEqual([]);
  });
});

describe("a user's steps checked before they run", () => {
  it('accepts offered steps with their required arguments, and the reserved ones on any interface', () => {
    const steps = [
      { interface: 'bios', step: 'apply_configuration', args: { settings: [{ name: 'A', value: 1 }] } },
      { interface: 'deploy', step: 'hold' },
      { interface: 'power', step: 'reboot' },
      { interface: 'deploy', step: 'wait', args: { seconds: 2 } },
    ];
    expect(userStepsProblem(redfishNode(), steps, 'service')).toBeNull();
  });

  it("names every problem at once, in Ironic's words, joined by '; '", () => {
    const problem = userStepsProblem(
      redfishNode(),
      [
        { interface: 'bios', step: 'factory_reset' },
        { interface: 'firmware', step: 'update', args: { force: true } },
      ],
      'service',
    );
    expect(problem).toBe(
      "node does not support this service step: {'interface': 'bios', 'step': 'factory_reset'}; " +
        "service step {'interface': 'firmware', 'step': 'update', 'args': {'force': True}} has these unexpected arguments: force; " +
        "service step {'interface': 'firmware', 'step': 'update', 'args': {'force': True}} is missing these required arguments: settings (" +
        offeredSteps(redfishNode(), 'service')[1]!.argsinfo.settings!.description +
        ')',
    );
  });

  it('refuses args that are not a dictionary', () => {
    expect(
      userStepsProblem(redfishNode(), [{ interface: 'bios', step: 'apply_configuration', args: 'x' }], 'clean'),
    ).toBe(
      "clean step {'interface': 'bios', 'step': 'apply_configuration', 'args': 'x'} has args that are not a dictionary",
    );
  });

  it('refuses a power-off step on a node that must not be powered off, and a wait with no seconds', () => {
    expect(
      userStepsProblem(redfishNode({ disable_power_off: true }), [{ interface: 'power', step: 'power_off' }], 'clean'),
    ).toContain('has disable_power_off set');
    expect(
      userStepsProblem(redfishNode(), [{ interface: 'deploy', step: 'wait', args: { seconds: -1 } }], 'clean'),
    ).toContain('needs args.seconds');
  });

  it('refuses an in-band step when the ramdisk is not to be booted (disable_ramdisk), and keeps out-of-band ones', () => {
    const erase = { interface: 'deploy', step: 'erase_devices_metadata' };
    expect(userStepsProblem(redfishNode(), [erase], 'clean', true)).toBe(
      "clean step {'interface': 'deploy', 'step': 'erase_devices_metadata'} requires booting a ramdisk",
    );
    expect(userStepsProblem(redfishNode(), [erase], 'clean')).toBeNull();
    const bios = { interface: 'bios', step: 'apply_configuration', args: { settings: [] } };
    expect(userStepsProblem(redfishNode(), [bios], 'clean', true)).toBeNull();
  });
});
