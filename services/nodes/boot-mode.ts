import type { JsonObject, Node } from './model.js';

/** Ironic's boot modes: `bios` is legacy BIOS boot. */
export type NodeBootMode = 'uefi' | 'bios';

/** UEFI unless the node says legacy BIOS, in Ironic's places for it. */
export function bootModeOf(node: Node): NodeBootMode {
  const fromInstance = (node.instance_info.capabilities as JsonObject | undefined)?.boot_mode;
  const caps = typeof node.properties.capabilities === 'string' ? node.properties.capabilities : '';
  const fromProps = /(?:^|,)boot_mode:(\w+)/.exec(caps)?.[1];
  const mode = typeof fromInstance === 'string' ? fromInstance : (fromProps ?? 'uefi');
  return mode === 'bios' || mode === 'legacy' ? 'bios' : 'uefi';
}
