import type { PowerState, TargetPowerState, ProvisionEvent, ProvisionState } from '../nodes/index.js';
import type { HardwareRuntime, NodeTask } from './hardware-runtime.js';

/**
 * Ironic's fake-hardware: every step succeeds at once, so a node walks the
 * whole lifecycle through the API with no BMC behind it.
 */
export const fakeHardware: HardwareRuntime = {
  async advance(task: NodeTask): Promise<void> {
    // Bounded: the longest fake path (deleting → cleaning → available) is two events.
    for (let step = 0; step < 8; step++) {
      const event = completionOf(task.node.provision_state, task.node.target_provision_state);
      if (event === null) return;
      const changes =
        task.node.provision_state === 'verifying' ? { power_state: task.node.power_state ?? 'power off' } : {};
      await task.fire(event, changes);
    }
  },

  async setPower(_task: NodeTask, target: TargetPowerState): Promise<PowerState> {
    return target === 'power off' || target === 'soft power off' ? 'power off' : 'power on';
  },

  // Ironic's fake console has no process to start or stop: console_enabled alone records it.
  async setConsole(): Promise<void> {},
};

function completionOf(state: ProvisionState, target: ProvisionState | null): ProvisionEvent | null {
  switch (state) {
    case 'verifying':
    case 'inspecting':
    case 'deploying':
    case 'adopting':
    case 'rescuing':
    case 'unrescuing':
    case 'servicing':
      return 'done';
    case 'cleaning':
      // A manual clean returns to manageable; automated cleaning ends in available.
      return target === 'manageable' ? 'manage' : 'done';
    case 'deleting':
      return 'clean';
    default:
      return null;
  }
}
