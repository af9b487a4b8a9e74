import { describe, expect, it } from 'vitest';
import { bootInterfaceOf, validateNodeInterfaces } from '../../../../services/drivers/index.js';
import type { Node } from '../../../../services/nodes/model.js';
import { nodeFixture } from '../../../support/node-fixture.js';
import { NO_CONFIGURED_IMAGES } from '../../../support/validation-env.js';

// Ironic's RedfishHttpsBoot.validate as Anvil's boot interface validation says it.

const BMC = { redfish_address: 'http://127.0.0.1:8000', redfish_username: 'admin', redfish_password: 'pw' };
const ISO = 'http://192.0.2.10/agent.iso';

function httpsNode(overrides: Partial<Node> = {}): Node {
  return {
    id: 1,
    ...nodeFixture({ driver: 'redfish', boot_interface: 'redfish-https', driver_info: { ...BMC, deploy_iso: ISO } }),
    ...overrides,
  };
}

const bootOf = (node: Node) =>
  validateNodeInterfaces(node, NO_CONFIGURED_IMAGES).boot ?? { result: false, reason: 'no boot result' };

describe('redfish-https boot validation', () => {
  it('passes a UEFI node with the BMC and an http(s) deploy_iso, and is a UEFI HTTP boot of an ISO', () => {
    const node = httpsNode();
    expect(bootOf(node)).toEqual({ result: true });
    expect(bootInterfaceOf(node).name).toBe('redfish-https');
    expect(bootInterfaceOf(node).fromIso).toBe(true);
  });

  it("needs deploy_iso, or the agent's kernel and ramdisk to build it from, in Ironic words", () => {
    expect(bootOf(httpsNode({ driver_info: { ...BMC } }))).toEqual({
      result: false,
      reason:
        "Error validating Redfish virtual media. Some parameters were missing in node's driver_info. Missing are: ['deploy_kernel', 'deploy_ramdisk']",
    });
    expect(
      bootOf(httpsNode({ driver_info: { ...BMC, deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'ipa.initramfs' } })),
    ).toEqual({ result: true });
  });

  it('needs deploy_iso to be a URL the firmware can fetch', () => {
    expect(bootOf(httpsNode({ driver_info: { ...BMC, deploy_iso: 'agent.iso' } })).reason).toMatch(
      /^Validation of image href agent\.iso failed.*an http\(s\) URL the BMC can fetch/,
    );
  });

  it('refuses a node set to legacy BIOS boot, from its properties or its instance_info', () => {
    const fromProps = httpsNode({ properties: { capabilities: 'boot_mode:bios' } });
    expect(bootOf(fromProps)).toEqual({
      result: false,
      reason: `UEFI HTTP boot requires UEFI for node ${fromProps.uuid}; its boot mode is legacy BIOS.`,
    });
    const fromInstance = httpsNode({ instance_info: { capabilities: { boot_mode: 'bios' } } });
    expect(bootOf(fromInstance).result).toBe(false);
    expect(bootOf(httpsNode({ properties: { capabilities: 'boot_mode:uefi' } }))).toEqual({ result: true });
  });
});
