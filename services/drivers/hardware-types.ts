import type { InterfaceName } from '../nodes/index.js';

/**
 * Hardware types are compositions of interfaces, as in Ironic: for each
 * interface, the implementations a type supports, the first being its default.
 */
export interface HardwareType {
  name: string;
  interfaces: Record<InterfaceName, readonly string[]>;
  /** driver_info keys this type reads, with Ironic-style descriptions. */
  properties: Record<string, string>;
}

const DEPLOY_PROPERTIES = {
  deploy_kernel: 'URL or path of the agent kernel booted for inspection, cleaning and deployment. Required for deploy.',
  deploy_ramdisk: 'URL or path of the agent ramdisk. Required for deploy.',
  deploy_iso:
    'URL of a bootable agent ISO for virtual media and UEFI HTTP boot. Optional: without it Anvil builds one from deploy_kernel and deploy_ramdisk.',
  rescue_kernel: 'URL or path of the rescue ramdisk kernel, network-booted to rescue a node. Required for rescue.',
  rescue_ramdisk: 'URL or path of the rescue ramdisk. Required for rescue.',
  rescue_iso:
    'URL of a bootable rescue ISO for virtual media and UEFI HTTP boot. Optional: without it Anvil builds one from rescue_kernel and rescue_ramdisk.',
  kernel_append_params: 'Extra kernel parameters for the agent. Optional.',
  force_persistent_boot_device: 'Always set the boot device persistently: "Default", "Always" or "Never". Optional.',
};

const REDFISH_PROPERTIES = {
  redfish_address: 'The URL of the Redfish controller, e.g. https://bmc.example.com. Required.',
  redfish_system_id:
    'The canonical path to the ComputerSystem resource, e.g. /redfish/v1/Systems/1. Optional when the BMC has one system.',
  redfish_username: 'User account with admin/server-profile access privilege. Optional.',
  redfish_password: 'User account password. Optional.',
  redfish_verify_ca:
    'true, false, or the path of a CA bundle to verify the BMC certificate with. Optional, default true.',
  redfish_auth_type:
    'Redfish HTTP client authentication method: "basic", "session" or "auto". Optional, default "auto".',
  ...DEPLOY_PROPERTIES,
};

export const HARDWARE_TYPES: readonly HardwareType[] = [
  {
    name: 'fake-hardware',
    interfaces: {
      bios: ['fake', 'no-bios'],
      boot: ['fake'],
      console: ['fake', 'no-console'],
      deploy: ['fake'],
      firmware: ['fake', 'no-firmware'],
      inspect: ['fake', 'no-inspect'],
      management: ['fake'],
      network: ['noop'],
      power: ['fake'],
      raid: ['fake', 'no-raid'],
      rescue: ['fake', 'no-rescue'],
      storage: ['noop'],
      vendor: ['fake', 'no-vendor'],
    },
    // What Ironic's fake-hardware declares (its default fake vendor interface's keys): clients expect some.
    properties: { B1: 'B1 description. Required.', B2: 'B2 description. Required.' },
  },
  {
    name: 'idrac',
    interfaces: {
      bios: ['idrac-redfish', 'no-bios'],
      boot: ['ipxe', 'idrac-redfish-virtual-media'],
      console: ['no-console'],
      deploy: ['direct', 'ramdisk', 'custom-agent'],
      firmware: ['redfish', 'no-firmware'],
      inspect: ['idrac-redfish', 'agent', 'no-inspect'],
      management: ['idrac-redfish'],
      network: ['noop'],
      power: ['idrac-redfish'],
      raid: ['idrac-redfish', 'no-raid'],
      rescue: ['no-rescue', 'agent'],
      storage: ['noop'],
      vendor: ['idrac-redfish', 'no-vendor'],
    },
    properties: REDFISH_PROPERTIES,
  },
  {
    name: 'ipmi',
    interfaces: {
      bios: ['no-bios'],
      boot: ['ipxe'],
      console: ['no-console'],
      deploy: ['direct', 'ramdisk', 'custom-agent'],
      firmware: ['no-firmware'],
      inspect: ['agent', 'no-inspect'],
      // Named `ipmitool` as in Ironic, so clients that set interfaces by name
      // keep working; Anvil speaks IPMI natively underneath.
      management: ['ipmitool'],
      network: ['noop'],
      power: ['ipmitool'],
      raid: ['no-raid'],
      rescue: ['no-rescue', 'agent'],
      storage: ['noop'],
      vendor: ['ipmitool', 'no-vendor'],
    },
    properties: {
      ipmi_address: 'IP address or hostname of the node BMC. Required.',
      ipmi_port: 'Remote IPMI RMCP port. Optional, default 623.',
      ipmi_username: 'Username. Optional.',
      ipmi_password: 'Password. Optional.',
      ipmi_priv_level: 'Privilege level: ADMINISTRATOR (default), OPERATOR, USER or CALLBACK. Optional.',
      ipmi_cipher_suite: 'IPMI v2.0 cipher suite: 3 (default) or 17. Optional.',
      ...DEPLOY_PROPERTIES,
    },
  },
  {
    name: 'redfish',
    interfaces: {
      bios: ['redfish', 'no-bios'],
      boot: ['ipxe', 'redfish-virtual-media', 'redfish-https'],
      console: ['no-console'],
      deploy: ['direct', 'ramdisk', 'custom-agent'],
      firmware: ['redfish', 'no-firmware'],
      inspect: ['redfish', 'agent', 'no-inspect'],
      management: ['redfish'],
      network: ['noop'],
      power: ['redfish'],
      raid: ['redfish', 'no-raid'],
      rescue: ['no-rescue', 'agent'],
      storage: ['noop'],
      vendor: ['redfish', 'no-vendor'],
    },
    properties: REDFISH_PROPERTIES,
  },
];

export function findHardwareType(name: string): HardwareType | undefined {
  return HARDWARE_TYPES.find((t) => t.name === name);
}
