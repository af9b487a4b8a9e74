// The deploy and clean steps the simulated agent offers, in IPA's
// get_*_steps shape, with Ironic's priorities for the direct deploy
// interface (ironic-api.md §3) and IPA's for cleaning. Pure data.

export interface AgentStep {
  step: string;
  priority: number;
  interface: 'deploy';
  reboot_requested: boolean;
  abortable: boolean;
  argsinfo: null;
}

function step(name: string, priority: number, abortable = false): AgentStep {
  return { step: name, priority, interface: 'deploy', reboot_requested: false, abortable, argsinfo: null };
}

export const DEPLOY_STEPS: readonly AgentStep[] = [
  step('write_image', 80),
  step('prepare_instance_boot', 60),
  step('tear_down_agent', 40),
  step('boot_instance', 20),
  // A custom hardware manager's installer (as baremetal-operator's custom deploy asks for one by name):
  // priority 0, so it runs only when a deploy names it.
  step('install_os', 0),
];

export const CLEAN_STEPS: readonly AgentStep[] = [
  step('erase_devices_metadata', 99, true),
  step('erase_devices', 10, true),
];

/** IPA reports steps per hardware manager; the generic one is all a simulated host has. */
export const HARDWARE_MANAGER = 'GenericHardwareManager';
export const HARDWARE_MANAGER_VERSION = { generic_hardware_manager: '1.2' };
