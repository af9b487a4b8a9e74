/**
 * MAC addresses as the boot path spells them. BootBackend keys hosts by the
 * lower-case, colon-separated form; a script URL may arrive with dashes or
 * upper case (iPXE's `${mac:hexhyp}`), and the agent wants pxelinux's BOOTIF.
 */

const SEPARATED =
  /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;

/** `52-54-00-AB-CD-EF` or `52:54:00:ab:cd:ef` → `52:54:00:ab:cd:ef`; null for anything else. */
export function normalizeMac(text: string): string | null {
  const match = SEPARATED.exec(text);
  return match ? match.slice(1).join(':').toLowerCase() : null;
}

/**
 * pxelinux's `BOOTIF=01-aa-bb-cc-dd-ee-ff` (ARP hardware type 1, Ethernet):
 * ironic-python-agent reads it to know which NIC the host booted from, and
 * so which interface to bring up and report on lookup.
 */
export function bootifParam(mac: string): string {
  return `BOOTIF=01-${mac.replaceAll(':', '-')}`;
}
