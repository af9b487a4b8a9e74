// The kernel command line is how a ramdisk agent learns where Anvil is:
// Ironic renders `ipa-api-url=`, `BOOTIF=01-<mac>` and, for in-band
// inspection, `ipa-inspection-callback-url=`. Pure.

export interface AgentBootParams {
  /** Where lookup and heartbeat go; null for an agent that only inspects. */
  apiUrl: string | null;
  /** The MAC the host booted from (BOOTIF), lower-case and colon separated. */
  bootMac: string | null;
  /** BOOTIF as given (`01-aa-bb-...`), which IPA reports back as `boot_interface`. */
  bootif: string | null;
  /** In-band inspection: POST the inventory here before looking up. */
  inspectionCallbackUrl: string | null;
}

export function agentBootParams(args: readonly string[]): AgentBootParams {
  const values = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq > 0) values.set(arg.slice(0, eq), arg.slice(eq + 1));
  }
  const bootif = values.get('BOOTIF') ?? null;
  return {
    apiUrl: nonEmpty(values.get('ipa-api-url')),
    bootMac: bootif === null ? null : macFromBootif(bootif),
    bootif,
    inspectionCallbackUrl: nonEmpty(values.get('ipa-inspection-callback-url')),
  };
}

/**
 * `01-52-54-00-aa-bb-cc` (ARP hardware type 1, then the MAC, as pxelinux
 * and Anvil write it) or a bare MAC with colons (iPXE's `${mac}`, as
 * Ironic's template writes it) to `52:54:00:aa:bb:cc`.
 */
function macFromBootif(bootif: string): string | null {
  const match = /^(?:01-)?((?:[0-9a-f]{2}[-:]){5}[0-9a-f]{2})$/i.exec(bootif);
  return match ? (match[1] as string).toLowerCase().replaceAll('-', ':') : null;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
