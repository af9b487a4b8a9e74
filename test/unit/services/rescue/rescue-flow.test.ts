import { describe, expect, it } from 'vitest';
import { rescueRefusal, withoutRescuePassword } from '../../../../services/rescue/index.js';
import { validateNodeInterfaces } from '../../../../services/drivers/index.js';
import { InvalidParameterValue, UnsupportedDriverExtension } from '../../../../services/errors.js';
import type { Node } from '../../../../services/nodes/model.js';
import { nodeFixture } from '../../../support/node-fixture.js';
import { NO_CONFIGURED_IMAGES } from '../../../support/validation-env.js';

const BMC = { redfish_address: 'http://127.0.0.1:8000', redfish_username: 'admin', redfish_password: 'pw' };
const AGENT = { deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'ipa.initramfs' };
const RESCUE = { rescue_kernel: 'rescue.kernel', rescue_ramdisk: 'http://images/rescue.initramfs' };

/** An active Redfish node with the agent's rescue interface, booting over iPXE. */
function activeNode(overrides: Partial<Node> = {}): Node {
  return {
    id: 1,
    ...nodeFixture({
      driver: 'redfish',
      power_interface: 'redfish',
      management_interface: 'redfish',
      boot_interface: 'ipxe',
      deploy_interface: 'direct',
      rescue_interface: 'agent',
      provision_state: 'active',
      driver_info: { ...BMC, ...AGENT, ...RESCUE },
      instance_info: { image_source: 'http://images/disk.img' },
    }),
    ...overrides,
  };
}

const reasonOf = (node: Node) => validateNodeInterfaces(node, NO_CONFIGURED_IMAGES).rescue;

describe('what validate says of the agent rescue interface', () => {
  it('passes with the rescue ramdisk named and a password set, plain or already hashed', () => {
    expect(reasonOf(activeNode({ instance_info: { rescue_password: 'pw' } }))).toEqual({ result: true });
    expect(reasonOf(activeNode({ instance_info: { hashed_rescue_password: '$5$salt$hash' } }))).toEqual({
      result: true,
    });
  });

  it('says, as Ironic does, that a node not being rescued has no rescue password', () => {
    const node = activeNode();
    expect(reasonOf(node)).toEqual({
      result: false,
      reason: `Node ${node.uuid} is missing 'instance_info/rescue_password'. It is required for rescuing node.`,
    });
  });

  it('names the missing rescue kernel and ramdisk, and a boot file nobody can fetch', () => {
    const { rescue_kernel: _k, rescue_ramdisk: _r, ...info } = activeNode().driver_info;
    expect(reasonOf(activeNode({ driver_info: info, instance_info: { rescue_password: 'pw' } }))?.reason).toBe(
      "Cannot validate PXE bootloader. Some parameters were missing in node's driver_info. Missing are: ['rescue_kernel', 'rescue_ramdisk']",
    );
    const glance = activeNode({
      driver_info: { ...BMC, ...AGENT, ...RESCUE, rescue_kernel: 'glance://kernel' },
      instance_info: { rescue_password: 'pw' },
    });
    expect(reasonOf(glance)?.reason).toMatch(
      /^Validation of image href glance:\/\/kernel failed, reason: Image download protocol glance is not supported/,
    );
  });

  it('fails when the boot interface itself does not validate, and for a ramdisk deploy', () => {
    const noDeployKernel = activeNode({
      driver_info: { ...BMC, ...RESCUE },
      instance_info: { rescue_password: 'pw' },
    });
    expect(reasonOf(noDeployKernel)?.reason).toContain("Missing are: ['deploy_kernel', 'deploy_ramdisk']");
    const ramdisk = activeNode({ deploy_interface: 'ramdisk', instance_info: { rescue_password: 'pw' } });
    expect(reasonOf(ramdisk)?.reason).toBe(
      'Rescue through the agent needs an instance on disk; the ramdisk deploy interface has none to return to.',
    );
  });

  it('over virtual media, needs rescue_iso or the rescue kernel and ramdisk its ISO is built from, in Ironic words', () => {
    const vmedia = (info: Record<string, string>) =>
      activeNode({
        boot_interface: 'redfish-virtual-media',
        driver_info: { ...BMC, ...AGENT, ...info },
        instance_info: { rescue_password: 'pw' },
      });
    expect(reasonOf(vmedia(RESCUE))).toEqual({ result: true });
    expect(reasonOf(vmedia({ rescue_iso: 'http://images/rescue.iso' }))).toEqual({ result: true });
    expect(reasonOf(vmedia({ rescue_iso: 'rescue.iso' }))?.reason).toMatch(
      /^Validation of image href rescue\.iso failed.*driver_info\/rescue_iso must be an http\(s\) URL the BMC can fetch/,
    );
    expect(reasonOf(vmedia({}))).toEqual({
      result: false,
      reason:
        "Error validating Redfish virtual media. Some parameters were missing in node's driver_info. Missing are: ['rescue_kernel', 'rescue_ramdisk']",
    });
  });
});

describe('which rescue requests are refused before they are accepted', () => {
  it('refuses rescue and unrescue on a node without the agent rescue interface', () => {
    for (const verb of ['rescue', 'unrescue'] as const) {
      const refused = rescueRefusal(
        activeNode({ rescue_interface: 'no-rescue' }),
        { verb, rescuePassword: 'pw' },
        NO_CONFIGURED_IMAGES,
      );
      expect(refused).toBeInstanceOf(UnsupportedDriverExtension);
      expect(refused?.message).toBe('Driver redfish does not support rescue (disabled or not implemented).');
    }
  });

  it("checks a rescue with the password it brings, in Ironic's words", () => {
    const node = activeNode();
    expect(rescueRefusal(node, { verb: 'rescue', rescuePassword: 'pw' }, NO_CONFIGURED_IMAGES)).toBeNull();
    const blank = rescueRefusal(node, { verb: 'rescue', rescuePassword: ' \t' }, NO_CONFIGURED_IMAGES);
    expect(blank).toBeInstanceOf(InvalidParameterValue);
    expect(blank?.message).toBe(
      `Failed to rescue instance None for node ${node.uuid}: Validation failed: The 'instance_info/rescue_password' is an empty string for node ${node.uuid}. The 'rescue_password' must be a non-empty string value.`,
    );
    // A hash left by an earlier rescue does not stand in for the password this one must bring.
    const stale = activeNode({ instance_info: { hashed_rescue_password: '$5$old$hash' } });
    expect(rescueRefusal(stale, { verb: 'rescue' }, NO_CONFIGURED_IMAGES)?.message).toContain(
      "is missing 'instance_info/rescue_password'",
    );
  });

  it('refuses a rescue whose BMC settings would not validate', () => {
    const node = activeNode({ driver_info: { ...AGENT, ...RESCUE } });
    expect(rescueRefusal(node, { verb: 'rescue', rescuePassword: 'pw' }, NO_CONFIGURED_IMAGES)?.message).toMatch(
      new RegExp(`^Failed to rescue instance None for node ${node.uuid}: Validation failed: `),
    );
  });

  it('lets unrescue through on a node with the agent rescue interface', () => {
    expect(
      rescueRefusal(activeNode({ provision_state: 'rescue' }), { verb: 'unrescue' }, NO_CONFIGURED_IMAGES),
    ).toBeNull();
  });
});

it('forgets the password and its hash, and nothing else of instance_info', () => {
  const node = activeNode({
    instance_info: { image_source: 'http://images/disk.img', rescue_password: 'pw', hashed_rescue_password: '$5$x$y' },
  });
  expect(withoutRescuePassword(node)).toEqual({ image_source: 'http://images/disk.img' });
});
