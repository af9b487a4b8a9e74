import type { BmcDriver } from '../../bmc-drivers/index.js';
import type { JsonObject } from '../nodes/index.js';
import {
  runSequence,
  SERVICE_KEYS,
  StepFailure,
  stepLabel,
  type FlowContext,
  type FlowSteps,
  type StepTask,
} from '../steps/index.js';

/**
 * Servicing: day-2 changes to an active host, its OS left as it is. The
 * steps Anvil offers for it are all out-of-band (BIOS settings, firmware
 * updates, power), so the ramdisk is never booted; the host comes back
 * `active` running what it ran before.
 */
export class ServiceFlow {
  readonly steps: FlowSteps = { servicing: (t, d) => this.service(t, d) };

  constructor(private readonly ctx: FlowContext) {}

  private async service(task: StepTask, driver: BmcDriver): Promise<void> {
    const steps = (task.node.driver_internal_info.service_steps as JsonObject[] | undefined) ?? [];
    const outcome = await runSequence(task, SERVICE_KEYS, steps, {
      ...this.ctx.sequenceHooks(task, driver),
      inBand: () => false,
      startInBand: async (step) => {
        throw new StepFailure(`Service step ${stepLabel(step)} needs the ramdisk, which servicing does not boot.`);
      },
    });
    if (outcome === 'paused') return;
    const {
      service_steps: _steps,
      service_step_index: _index,
      service_disable_ramdisk: _ramdisk,
      ...internal
    } = task.node.driver_internal_info;
    await task.fire('done', { service_step: {}, driver_internal_info: internal });
  }
}
