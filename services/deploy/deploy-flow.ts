import type { BmcDriver } from '../../bmc-drivers/index.js';
import { type AgentClient, agentNodeView, agentSession, withoutSession } from '../agent/index.js';
import { bootInterfaceOf } from '../drivers/index.js';
import { bootModeOf, type JsonObject, type Node } from '../nodes/index.js';
import {
  DEPLOY_KEYS,
  deployPlan,
  DeployPlanError,
  conductorDeployStep,
  during,
  inBandDeployStep,
  runSequence,
  StepFailure,
  stepLabel,
  type ConductorDeployStep,
  type FlowContext,
  type FlowSteps,
  type StepTask,
} from '../steps/index.js';

/** The config drive as IPA takes it (gzip+base64 of an ISO9660 `config-2` image), from what the deploy request carried. */
export type ConfigDriveEncoder = (configdrive: string | JsonObject, node: Node) => Promise<string>;

/**
 * Deploying on Redfish and IPMI hardware: the agent deploys (`direct`
 * writes the image, `custom-agent` runs only the steps the deploy names,
 * each with the deploy's own steps in priority order) and then the BMC
 * boots the instance from disk; the `ramdisk` deploy boots its instance
 * ramdisk with no agent at all.
 */
export class DeployFlow {
  readonly steps: FlowSteps = {
    deploying: (t, d) => this.deploy(t, d),
    deleting: (t, d) => this.tearDown(t, d),
  };

  private readonly agent: AgentClient;

  constructor(
    private readonly ctx: FlowContext,
    private readonly configDrive: ConfigDriveEncoder,
  ) {
    this.agent = ctx.agent;
  }

  /**
   * The agent deploy, in Ironic's step order: boot the agent and wait for
   * it; then run the plan by priority, the agent's steps (writing the image,
   * with its checksum and the config drive) while the node waits, and the
   * conductor's (the instance's boot device, the agent torn down, the
   * instance booted) through the BMC.
   */
  private async deploy(task: StepTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    if (node.deploy_interface === 'ramdisk') return this.deployRamdisk(task, driver);
    const session = agentSession(node);
    if (session === null && !agentTornDown(node)) {
      await this.ctx.mayStart(node, 'deploy');
      await during(`Failed to boot the agent for deployment for node ${node.uuid}`, () =>
        this.ctx.bootAgent(task, driver),
      );
      await task.fire('wait');
      return;
    }
    if (node.driver_internal_info.deploy_steps === undefined) await this.planDeploy(task, session!);
    if (task.node.driver_internal_info.deploy_phase === 'running') {
      if (!(await this.ctx.agentStepDone(task, 'deploy_command_id', `Deploy step ${stepLabel(task.node.deploy_step)}`)))
        return;
      const finished = Number(task.node.driver_internal_info.deploy_step_index ?? 0);
      await task.update({
        driver_internal_info: { ...task.node.driver_internal_info, deploy_step_index: finished + 1 },
      });
    }
    const steps = task.node.driver_internal_info.deploy_steps as JsonObject[];
    const hooks = this.ctx.sequenceHooks(task, driver);
    const outcome = await runSequence(task, DEPLOY_KEYS, steps, {
      ...hooks,
      inBand: inBandDeployStep,
      startInBand: (step, index) => this.startDeployStep(task, driver, step, index),
      runOutOfBand: async (step) => {
        const core = conductorDeployStep(step);
        if (core === null) return hooks.runOutOfBand(step);
        await this.conductorStep(core, task, driver);
        return {};
      },
    });
    if (outcome === 'paused') return;
    const {
      deploy_steps: _plan,
      deploy_step_index: _index,
      user_deploy_steps: _asked,
      deploy_agent_torn_down: _tornDown,
      ...internal
    } = withoutSession(task.node);
    await task.fire('done', { deploy_step: {}, driver_internal_info: internal });
  }

  /** The deploy interface's core steps that are the BMC's part, in Ironic's words when they fail. */
  private async conductorStep(step: ConductorDeployStep, task: StepTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    switch (step) {
      case 'prepare_instance_boot':
        await during(`Failed to prepare instance for booting on node ${node.uuid}`, () =>
          driver.management.setBootDevice('disk', { persistent: true, mode: bootModeOf(node) }),
        );
        return;
      case 'tear_down_agent': {
        // Off first, so the agent's media can leave a machine that no longer reads it; never off with disable_power_off.
        const power = await during(`Error rebooting node ${node.uuid} after deploy`, async () => {
          const state = await this.ctx.powerOffUnlessDisabled(node, driver);
          await this.ctx.ejectAgentMedia(node, driver);
          return state;
        });
        await task.update({
          power_state: power,
          driver_internal_info: { ...withoutSession(task.node), deploy_agent_torn_down: true },
        });
        return;
      }
      case 'boot_instance':
        // A node never powered off is reset into the instance (Ironic's boot_instance).
        await during(`Error booting node ${node.uuid} after deploy`, () =>
          driver.power.setPowerState(node.disable_power_off ? 'rebooting' : 'power on'),
        );
        await task.update({ power_state: 'power on' });
        return;
    }
  }

  /**
   * Once the agent runs: the deploy's steps, its interface's core ones and
   * those the request named, checked against what the agent offers.
   */
  private async planDeploy(task: StepTask, session: { url: string; token: string }): Promise<void> {
    const node = task.node;
    const asked = (node.driver_internal_info.user_deploy_steps as JsonObject[] | undefined) ?? [];
    let offered: JsonObject[] = [];
    if (asked.some((s) => s.interface === 'deploy')) {
      const reply = await during(`Could not read the agent's deploy steps on node ${node.uuid}`, () =>
        this.agent.execute(session.url, session.token, 'deploy.get_deploy_steps', {
          node: agentNodeView(node),
          ports: [],
        }),
      );
      const byManager = (reply.command_result as { deploy_steps?: Record<string, JsonObject[]> } | null)?.deploy_steps;
      offered = Object.values(byManager ?? {}).flat();
    }
    try {
      const plan = deployPlan(node, asked, offered);
      await task.update({
        driver_internal_info: { ...node.driver_internal_info, deploy_steps: plan, deploy_step_index: 0 },
      });
    } catch (err) {
      if (err instanceof DeployPlanError) throw new StepFailure(err.message);
      throw err;
    }
  }

  /** Hands an in-band deploy step to the agent (write_image with the image to write); the node waits. */
  private async startDeployStep(task: StepTask, driver: BmcDriver, step: JsonObject, index: number): Promise<void> {
    const node = task.node;
    const session = agentSession(node);
    if (session === null) {
      // An earlier step rebooted the machine (BIOS settings, a power step): the agent is booted again, and the
      // deploy goes on from this step at its heartbeat (Ironic's reboot_to_finish_step).
      await this.ctx.bootAgent(task, driver);
      await task.fire('wait', {
        driver_internal_info: { ...task.node.driver_internal_info, deploy_step_index: index },
      });
      return;
    }
    const args =
      step.step === 'write_image'
        ? { ...((step.args as JsonObject | undefined) ?? {}), image_info: await this.imageInfo(node) }
        : step.args;
    const command = await during(`Deploy step ${stepLabel(step)} could not start on node ${node.uuid}`, () =>
      this.agent.execute(session.url, session.token, 'deploy.execute_deploy_step', {
        step: { ...step, args: args ?? {} },
        node: agentNodeView(node),
        ports: [],
      }),
    );
    await task.fire('wait', {
      driver_internal_info: {
        ...task.node.driver_internal_info,
        deploy_phase: 'running',
        deploy_command_id: command.id,
        deploy_step_index: index,
      },
    });
  }

  /**
   * The ramdisk deploy: nothing is written to the disk; the instance is a
   * ramdisk the machine boots every time, `boot_iso` over virtual media or
   * UEFI HTTP (as Ironic's redfish-https prepare_instance) or instance_info's
   * kernel and ramdisk from the network (served as the active node's boot),
   * so the boot device is set persistently.
   */
  private async deployRamdisk(task: StepTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    await this.ctx.mayStart(node, 'deploy');
    await during(`Failed to boot the ramdisk instance for node ${node.uuid}`, async () => {
      await bootInterfaceOf(node).bootRamdiskInstance(node, driver);
      await driver.power.setPowerState((await driver.power.getPowerState()) === 'power on' ? 'rebooting' : 'power on');
    });
    await task.fire('done', { power_state: 'power on', driver_internal_info: withoutSession(task.node) });
  }

  /** Ironic's deploy tear_down: the machine off (unless it may not be), the agent's media gone, then cleaning. */
  private async tearDown(task: StepTask, driver: BmcDriver): Promise<void> {
    const power = await this.ctx.powerOffUnlessDisabled(task.node, driver);
    await this.ctx.ejectAgentMedia(task.node, driver);
    await task.fire('clean', { power_state: power });
  }

  /** IPA's image_info for write_image, from instance_info (Ironic's agent deploy). */
  private async imageInfo(node: Node): Promise<JsonObject> {
    const info = node.instance_info;
    const source = info.image_source;
    if (typeof source !== 'string' || source === '')
      throw new StepFailure('instance_info/image_source is required to deploy an image.');
    const image: JsonObject = {
      id: node.uuid,
      urls: [source],
      disk_format: info.image_disk_format ?? 'raw',
      container_format: 'bare',
      stream_raw_images: true,
      node_uuid: node.uuid,
    };
    if (info.image_os_hash_algo && info.image_os_hash_value) {
      image.os_hash_algo = info.image_os_hash_algo;
      image.os_hash_value = info.image_os_hash_value;
    } else if (info.image_checksum) {
      image.checksum = info.image_checksum;
    } else if (!source.startsWith('file://')) {
      throw new StepFailure(
        'Missing image checksum: set instance_info/image_checksum, or image_os_hash_algo and image_os_hash_value.',
      );
    }
    const configdrive = info.configdrive;
    if (typeof configdrive === 'string' || (configdrive !== null && typeof configdrive === 'object')) {
      image.configdrive = await this.configDrive(configdrive as string | JsonObject, node);
    }
    return image;
  }
}

/** Past the deploy's tear_down_agent: the agent is gone for good, nothing may boot it again. */
function agentTornDown(node: Node): boolean {
  return node.driver_internal_info.deploy_agent_torn_down === true;
}
