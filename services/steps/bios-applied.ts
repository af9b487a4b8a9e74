import type { BiosAttributes, BiosInterface } from '../../bmc-drivers/index.js';
import { StepFailure } from './step-failure.js';

/** How often the BIOS is read back while a reboot applies staged settings. */
const POLL_MS = 1000;

/**
 * Waits, after the reboot that applies them, until the firmware runs with
 * the settings staged for it: none of them still pending and each current
 * value the one asked for (compared as text, case aside: Ironic's clients
 * send `"4"` and `"False"`, which the BMC stores typed as 4 and false).
 * A real host applies them during POST, minutes after the reset was
 * accepted; reading back sooner would cache the old values. Fails as
 * Ironic's redfish BIOS check does when the time runs out.
 */
export async function awaitBiosApplied(
  bios: BiosInterface,
  wanted: BiosAttributes,
  nodeUuid: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [current, pending] = await Promise.all([bios.getAttributes(), bios.getPendingAttributes()]);
    const unapplied = Object.keys(wanted).filter(
      (name) => Object.hasOwn(pending, name) || asText(current[name]) !== asText(wanted[name]),
    );
    if (unapplied.length === 0) return;
    if (Date.now() + POLL_MS > deadline) {
      const attrs = Object.fromEntries(unapplied.map((name) => [name, wanted[name]]));
      throw new StepFailure(
        `Redfish BIOS apply_configuration step failed for node ${nodeUuid}. ` +
          `Attributes ${JSON.stringify(attrs)} are not updated after ${Math.round(timeoutMs / 1000)} s.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function asText(value: unknown): string {
  return String(value).toLowerCase();
}
