import { describe, expect, it } from 'vitest';
import { HARDWARE_TYPES, implementation } from '../../../../services/drivers/index.js';
import type { InterfaceName } from '../../../../services/nodes/index.js';
import { NO_CONFIGURED_IMAGES } from '../../../support/validation-env.js';

// DESIGN decision 2: what `GET /v1/drivers` lists is exactly what Anvil's interface classes carry out.

describe('hardware interface implementations', () => {
  it('exist for every implementation a hardware type lists, named as listed', () => {
    const missing: string[] = [];
    for (const type of HARDWARE_TYPES) {
      for (const [iface, names] of Object.entries(type.interfaces)) {
        for (const name of names) {
          const impl = implementation(iface as InterfaceName, name);
          if (impl?.name !== name) missing.push(`${type.name} ${iface}:${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('are not offered under a name no hardware type lists', () => {
    const listed = new Set(
      HARDWARE_TYPES.flatMap((t) =>
        Object.entries(t.interfaces).flatMap(([i, names]) => names.map((n) => `${i}:${n}`)),
      ),
    );
    const ifaces = Object.keys(HARDWARE_TYPES[0]!.interfaces) as InterfaceName[];
    const unlisted = [
      'redfish',
      'idrac-redfish',
      'ipmitool',
      'ipxe',
      'redfish-virtual-media',
      'redfish-https',
      'direct',
      'ramdisk',
      'custom-agent',
      'agent',
      'noop',
    ]
      .flatMap((name) => ifaces.map((iface) => `${iface}:${name}`))
      .filter((key) => {
        const [iface, name] = key.split(':') as [InterfaceName, string];
        return implementation(iface, name) !== undefined && !listed.has(key);
      });
    expect(unlisted).toEqual([]);
  });

  it('refuse a disabled interface in Ironic words', () => {
    expect(() => implementation('bios', 'no-bios')!.validate({} as never, NO_CONFIGURED_IMAGES)).toThrow(
      'Driver does not support bios (disabled or not implemented).',
    );
  });
});
