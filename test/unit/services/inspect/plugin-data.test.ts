import { describe, expect, it } from 'vitest';
import { standardPluginData } from '../../../../services/inspect/index.js';

const inventory = {
  interfaces: [
    { name: 'eno1', mac_address: '52:54:00:AA:00:01', ipv4_address: '10.0.0.5', lldp: [[5, '7377']] },
    { name: 'eno2', mac_address: '52:54:00:aa:00:02', ipv4_address: null, lldp: null },
    { name: 'lo', mac_address: null },
  ],
};

describe('the plugin data stored beside an inventory, in the keys baremetal-operator reads', () => {
  it("marks the NIC the agent booted from (its BOOTIF) as pxe_enabled, and parses each NIC's LLDP", () => {
    const data = standardPluginData(inventory, { boot_interface: '01-52-54-00-aa-00-01', error: null }, []);
    expect(data.all_interfaces).toEqual({
      eno1: { ...inventory.interfaces[0], mac_address: '52:54:00:aa:00:01', pxe_enabled: true },
      eno2: { ...inventory.interfaces[1], pxe_enabled: false },
    });
    expect(data).toMatchObject({
      boot_interface: '52:54:00:aa:00:01',
      macs: ['52:54:00:aa:00:01', '52:54:00:aa:00:02'],
      parsed_lldp: { eno1: { switch_system_name: 'sw' } },
      // What the agent sent beside its inventory is kept.
      error: null,
    });
  });

  it("takes the node's PXE ports for the booted NIC when the agent names none (out-of-band inspection)", () => {
    const data = standardPluginData(inventory, {}, ['52:54:00:AA:00:02']);
    const all = data.all_interfaces as Record<string, { pxe_enabled: boolean }>;
    expect([all.eno1!.pxe_enabled, all.eno2!.pxe_enabled]).toEqual([false, true]);
    expect(data.boot_interface).toBeNull();
  });
});
