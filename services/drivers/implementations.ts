import type { InterfaceName, Node } from '../nodes/index.js';
import { IpxeBoot, UefiHttpBoot, VirtualMediaBoot, type BootInterface } from './boot-interfaces.js';
import { CustomAgentDeploy, DirectDeploy, RamdiskDeploy } from './deploy-interfaces.js';
import {
  BmcInterface,
  DisabledInterface,
  FreeInterface,
  type HardwareInterface,
  type ValidationEnv,
} from './hardware-interface.js';
import { AgentRescue } from './rescue-interfaces.js';
import { InvalidParameterValue } from '../errors.js';
import { ValidationFailure } from './validation.js';

export interface InterfaceValidation {
  result: boolean;
  reason?: string;
}

/** The boot interfaces that boot machines, each with its operations (fake-hardware's `fake` has none). */
const BOOT_INTERFACES: readonly BootInterface[] = [
  new IpxeBoot(),
  new VirtualMediaBoot('redfish-virtual-media'),
  new VirtualMediaBoot('idrac-redfish-virtual-media'),
  new UefiHttpBoot(),
];

/** The node's boot interface, when it is one that boots machines. */
function bootOf(node: Node): BootInterface | undefined {
  return BOOT_INTERFACES.find((b) => b.name === node.boot_interface);
}

/** Every implementation Anvil carries out, by interface; `fake` and the disabled `no-*` ones are added by `implementation`. */
const IMPLEMENTATIONS: Record<InterfaceName, readonly HardwareInterface[]> = implementations();

function implementations(): Record<InterfaceName, readonly HardwareInterface[]> {
  const bmc = (...names: string[]) => names.map((n) => new BmcInterface(n));
  return {
    bios: bmc('redfish', 'idrac-redfish'),
    boot: BOOT_INTERFACES,
    console: [],
    deploy: [new DirectDeploy(), new RamdiskDeploy((node) => bootOf(node)?.fromIso === true), new CustomAgentDeploy()],
    firmware: bmc('redfish'),
    inspect: [...bmc('redfish', 'idrac-redfish'), new FreeInterface('agent')],
    management: bmc('redfish', 'idrac-redfish', 'ipmitool'),
    network: [new FreeInterface('noop')],
    power: bmc('redfish', 'idrac-redfish', 'ipmitool'),
    raid: bmc('redfish', 'idrac-redfish'),
    rescue: [new AgentRescue(bootOf)],
    storage: [new FreeInterface('noop')],
    vendor: bmc('redfish', 'idrac-redfish', 'ipmitool'),
  };
}

/**
 * The implementation named `name` of interface `iface`, or undefined when
 * Anvil has none: fake-hardware's `fake` needs nothing of the node, a
 * `no-*` name switches the interface off.
 */
export function implementation(iface: InterfaceName, name: string): HardwareInterface | undefined {
  if (name === 'fake') return new FreeInterface('fake');
  if (name === `no-${iface}`) return new DisabledInterface(name, iface);
  return IMPLEMENTATIONS[iface].find((i) => i.name === name);
}

/** The node's boot interface with its operations; only hardware that boots machines (not fake-hardware) has one. */
export function bootInterfaceOf(node: Node): BootInterface {
  const boot = bootOf(node);
  // The API refuses boot interfaces a node's hardware type does not list, and BMC hardware lists only these.
  if (boot === undefined)
    throw new InvalidParameterValue(`boot_interface ${node.boot_interface} cannot boot a machine`);
  return boot;
}

/** The interfaces `GET /v1/nodes/{id}/validate` reports on, as Ironic (vendor is not among them). */
const VALIDATED: InterfaceName[] = [
  'bios',
  'boot',
  'console',
  'deploy',
  'firmware',
  'inspect',
  'management',
  'network',
  'power',
  'raid',
  'rescue',
  'storage',
];

/** What `GET /v1/nodes/{id}/validate` reports: each interface's result and, on failure, why. */
export function validateNodeInterfaces(node: Node, env: ValidationEnv): Record<string, InterfaceValidation> {
  const out: Record<string, InterfaceValidation> = {};
  for (const iface of VALIDATED) {
    const name = node[`${iface}_interface`];
    const impl = implementation(iface, name);
    try {
      if (impl === undefined) throw new ValidationFailure(`Interface ${iface} has no implementation ${name}.`);
      impl.validate(node, env);
      out[iface] = { result: true };
    } catch (err) {
      if (!(err instanceof ValidationFailure)) throw err;
      out[iface] = { result: false, reason: err.message };
    }
  }
  return out;
}
