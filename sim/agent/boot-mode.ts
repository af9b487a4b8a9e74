// The boot mode the agent installs the instance's bootloader for, as IPA's
// get_node_boot_mode reads it from the node it was sent: UEFI when secure
// boot is asked for; else instance_info.deploy_boot_mode, the instance's
// capabilities (which Ironic folds into deploy_boot_mode before the agent
// sees it, and Anvil sends as they are), properties.capabilities
// `boot_mode:…`, driver_internal_info.deploy_boot_mode; else the mode the
// ramdisk itself booted in. Pure.
import type { BootMode } from '../host/index.js';

type NodeBootMode = 'uefi' | 'bios';

/** What the agent knows of its node: the lookup's answer, refreshed by every command that carries one. */
export type AgentNode = Record<string, unknown>;

export function nodeBootMode(node: AgentNode | null, ramdiskMode: BootMode): BootMode {
  const ramdisk: NodeBootMode = ramdiskMode === 'uefi' ? 'uefi' : 'bios';
  const instance = objectAt(node, 'instance_info');
  const instanceCaps = capabilities(instance);
  const nodeCaps = capabilities(objectAt(node, 'properties'));
  if (text(instanceCaps.secure_boot ?? nodeCaps.secure_boot).toLowerCase() === 'true') return 'uefi';
  const named = [
    instance.deploy_boot_mode,
    instanceCaps.boot_mode,
    nodeCaps.boot_mode,
    objectAt(node, 'driver_internal_info').deploy_boot_mode,
  ].find((v) => v !== undefined && v !== null);
  const mode = named === undefined ? ramdisk : text(named).toLowerCase();
  const chosen: NodeBootMode = mode === 'uefi' || mode === 'bios' ? mode : ramdisk;
  return chosen === 'uefi' ? 'uefi' : 'legacy';
}

function objectAt(node: AgentNode | null, key: string): Record<string, unknown> {
  const value = node?.[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** IPA's parse_capabilities: a dict, a JSON string of one, or `key1:value1,key2:value2`. */
function capabilities(root: Record<string, unknown>): Record<string, unknown> {
  const caps = root.capabilities;
  if (typeof caps === 'string') {
    try {
      const parsed: unknown = JSON.parse(caps);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : {};
    } catch {
      return Object.fromEntries(
        caps
          .split(',')
          .map((pair) => pair.split(':'))
          .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== '' && kv[1] !== ''),
      );
    }
  }
  return typeof caps === 'object' && caps !== null && !Array.isArray(caps) ? (caps as Record<string, unknown>) : {};
}

/** A capability's value as Python's str() prints a plain one; anything else reads as nothing. */
function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number' ? String(value) : '';
}
