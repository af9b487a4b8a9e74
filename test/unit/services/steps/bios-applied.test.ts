import { describe, expect, it } from 'vitest';
import type { BiosAttributes, BiosInterface } from '../../../../bmc-drivers/index.js';
import { awaitBiosApplied } from '../../../../services/steps/bios-applied.js';
import { StepFailure } from '../../../../services/steps/step-failure.js';

/** A BIOS whose staged settings become current on the `applyOnRead`-th read (never with Infinity): a POST in progress. */
function slowBios(current: BiosAttributes, pending: BiosAttributes, applyOnRead: number) {
  let reads = 0;
  const bios: BiosInterface = {
    getAttributes: async () => {
      reads += 1;
      if (reads >= applyOnRead) {
        Object.assign(current, pending);
        for (const key of Object.keys(pending)) delete pending[key];
      }
      return { ...current };
    },
    getPendingAttributes: async () => ({ ...pending }),
    getRegistry: async () => null,
    applySettings: async () => undefined,
  };
  return { bios, reads: () => reads };
}

describe('awaitBiosApplied', () => {
  it('returns at once when the reboot already applied the settings, comparing values as text', async () => {
    const { bios, reads } = slowBios({ ProcTurboMode: 'Enabled', NumCores: 4, SerialConsole: false }, {}, 1);
    await awaitBiosApplied(bios, { ProcTurboMode: 'Enabled', NumCores: '4', SerialConsole: 'False' }, 'n1', 5_000);
    expect(reads()).toBe(1);
  });

  it('reads again while the settings are still pending, and returns once they apply', async () => {
    const { bios, reads } = slowBios({ ProcTurboMode: 'Disabled' }, { ProcTurboMode: 'Enabled' }, 3);
    await awaitBiosApplied(bios, { ProcTurboMode: 'Enabled' }, 'n1', 10_000);
    expect(reads()).toBe(3);
  });

  it('fails naming the attributes that never applied, when the time runs out', async () => {
    const { bios } = slowBios({ ProcTurboMode: 'Disabled', Other: 'x' }, { ProcTurboMode: 'Enabled' }, Infinity);
    const err = await awaitBiosApplied(bios, { ProcTurboMode: 'Enabled', Other: 'x' }, 'n1', 1_500).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StepFailure);
    expect((err as Error).message).toBe(
      'Redfish BIOS apply_configuration step failed for node n1. Attributes {"ProcTurboMode":"Enabled"} are not updated after 2 s.',
    );
  });
});
