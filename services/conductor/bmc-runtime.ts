import {
  BmcAuthFailed,
  InvalidDriverInfo,
  requireInterface,
  UnsupportedOperation,
  type BiosAttributes,
  type BmcDriver,
  type BootMode,
  type PowerTarget,
} from '../../bmc-drivers/index.js';
import { type AgentClient, agentSession, withoutSession } from '../agent/index.js';
import type { NodeHistory } from '../events/index.js';
import {
  propertiesFromInventory,
  standardPluginData,
  toIronicInventory,
  type InventoryStore,
} from '../inspect/index.js';
import type { JsonObject, Node, PowerState, TargetPowerState, ProvisionState, Verb } from '../nodes/index.js';
import { UnsupportedDriverExtension, type AnvilError } from '../errors.js';
import type { DriverCache } from './driver-cache.js';
import type { HardwareRuntime, NodeTask } from './hardware-runtime.js';
import { isVirtualMediaBoot, StepPrerequisites, type AgentWork } from './step-prerequisites.js';

/**
 * How long the HEAD request checking a boot file URL may take before the
 * step goes ahead unchecked: a node's lock and a worker are held meanwhile.
 */
const BOOT_FILE_CHECK_TIMEOUT_MS = 3000;

/** What inspection does with the NICs it finds. */
export type AddPorts = 'all' | 'none';

export interface BmcRuntimeOptions {
  /** Default wait for a power change to show, when the request names none. */
  powerTimeoutSeconds: number;
  /** Whether automated cleaning is on for nodes that leave `automated_clean` unset. */
  automatedClean: boolean;
  addPorts: AddPorts;
}

/** Creates the ports of a node's discovered NICs that do not exist yet; returns the MACs it skipped. */
export type PortMaker = (node: Node, macs: string[]) => Promise<string[]>;

/** The config drive as IPA takes it (gzip+base64 of an ISO9660 `config-2` image), from what the deploy request carried. */
export type ConfigDriveEncoder = (configdrive: string | JsonObject, node: Node) => Promise<string>;

/** A step failed in a way a person must fix; the message goes to last_error as it is. */
class StepFailure extends Error {}

type Step = (task: NodeTask, driver: BmcDriver) => Promise<void>;

export interface BmcRuntimeDeps {
  drivers: DriverCache;
  inventory: InventoryStore;
  makePorts: PortMaker;
  history: NodeHistory;
  agent: AgentClient;
  configDrive: ConfigDriveEncoder;
  options: BmcRuntimeOptions;
  /**
   * The boot HTTP server's `/boot-files/` directory when this process runs
   * that server (`--role all`), so a deploy_kernel or deploy_ramdisk given as
   * a path is checked there before the machine boots; absent or null when
   * another process serves boot files and the path cannot be seen from here.
   */
  bootFilesDir: string | null;
  /** The MACs of a node's ports that may network-boot. */
  pxeMacs(node: Node): Promise<string[]>;
}

/**
 * Carries Redfish and IPMI nodes through their work with the node's BMC
 * driver. Each call to `advance` runs the current state's step, which ends
 * in an event: done, wait (for the ramdisk agent), or fail.
 */
export class BmcRuntime implements HardwareRuntime {
  private readonly steps: Partial<Record<ProvisionState, Step>> = {
    verifying: (t, d) => this.verify(t, d),
    inspecting: (t, d) => this.inspect(t, d),
    cleaning: (t, d) => this.clean(t, d),
    deploying: (t, d) => this.deploy(t, d),
    deleting: (t, d) => this.tearDown(t, d),
    adopting: (t, d) => this.adopt(t, d),
  };

  private readonly prerequisites: StepPrerequisites;

  constructor(private readonly deps: BmcRuntimeDeps) {
    this.prerequisites = new StepPrerequisites({
      bootFilesDir: deps.bootFilesDir,
      headTimeoutMs: BOOT_FILE_CHECK_TIMEOUT_MS,
      pxeMacs: (node) => deps.pxeMacs(node),
    });
  }

  /**
   * Rescue and servicing are not carried out on BMC hardware yet: refused
   * before they are accepted, in Ironic's words, rather than failing later.
   */
  refusal(node: Node, verb: Verb): AnvilError | null {
    if (verb === 'rescue' || verb === 'unrescue') return new UnsupportedDriverExtension(node.driver, 'rescue');
    if (verb === 'service') return new UnsupportedDriverExtension(node.driver, 'servicing');
    return null;
  }

  async advance(task: NodeTask): Promise<void> {
    // Bounded: the longest chain here (deleting → cleaning → available) is two steps.
    for (let i = 0; i < 4; i++) {
      const state = task.node.provision_state;
      const step = this.steps[state];
      if (!step) {
        if (state === 'rescuing' || state === 'unrescuing' || state === 'servicing') {
          await task.fire('fail', { last_error: `${state} is not supported by this conductor yet.` });
        }
        return;
      }
      try {
        await step(task, this.driverFor(task.node));
      } catch (err) {
        await task.fire('fail', { last_error: failureMessage(state, task.node, err) });
        return;
      }
      if (task.node.provision_state === state) return;
    }
  }

  async setPower(task: NodeTask, target: TargetPowerState, timeoutSeconds: number | null): Promise<PowerState> {
    const driver = this.driverFor(task.node);
    await driver.power.setPowerState(target, {
      timeoutMs: (timeoutSeconds ?? this.deps.options.powerTimeoutSeconds) * 1000,
    });
    return target === 'power off' || target === 'soft power off' ? 'power off' : 'power on';
  }

  private driverFor(node: Node): BmcDriver {
    try {
      return this.deps.drivers.for(node);
    } catch (err) {
      if (err instanceof InvalidDriverInfo) throw new StepFailure(`Cannot reach the BMC: ${err.message}`);
      throw err;
    }
  }

  /** Verifying: the credentials work and the power state can be read. */
  private async verify(task: NodeTask, driver: BmcDriver): Promise<void> {
    const power = await driver.power.getPowerState();
    await task.fire('done', { power_state: power });
  }

  private async adopt(task: NodeTask, driver: BmcDriver): Promise<void> {
    const power = await driver.power.getPowerState();
    await task.fire('done', { power_state: power });
  }

  private async inspect(task: NodeTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    if (node.inspect_interface === 'agent') {
      // In-band inspection: boot the ramdisk, wait for its report (continue_inspection), then power off.
      if (node.driver_internal_info.inspection_reported === true) {
        await driver.power.setPowerState('power off');
        await this.ejectAgentMedia(node, driver);
        await task.fire('done', { power_state: 'power off', driver_internal_info: withoutSession(node) });
        return;
      }
      await this.mayStart(node, 'inspect');
      await this.bootRamdisk(task, driver);
      await task.fire('wait');
      return;
    }
    if (node.inspect_interface.startsWith('no-'))
      throw new StepFailure('Inspection is disabled for this node (inspect_interface no-inspect).');
    const hw = await requireInterface(driver, 'inspect').inspectHardware();
    if (this.deps.options.addPorts === 'all' && hw.nics.length > 0) {
      const skipped = await this.deps.makePorts(
        node,
        hw.nics.map((n) => n.mac),
      );
      for (const mac of skipped) {
        await this.deps.history.record(node.id, {
          severity: 'WARNING',
          event_type: 'provisioning',
          event: `Inspection found NIC ${mac}, which is already a port of another node; no port created`,
        });
      }
    }
    // After the ports: which NIC boots is what the node's ports say, out of band.
    const inventory = toIronicInventory(hw, driver.bmc);
    const plugin_data = standardPluginData(inventory, {}, await this.deps.pxeMacs(node));
    await this.deps.inventory.save(node.id, { inventory, plugin_data });
    await task.fire('done', { properties: { ...node.properties, ...propertiesFromInventory(hw) } });
  }

  /**
   * Manual cleaning runs the requested steps; automated cleaning runs the
   * agent's metadata erase. Out-of-band steps (BIOS settings, firmware
   * updates) run here through the BMC; in-band ones are sent to the ramdisk
   * agent, booted on first need, and the node waits (`clean wait`) between
   * the agent's heartbeats until each finishes.
   */
  private async clean(task: NodeTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    const manual = node.target_provision_state === 'manageable';
    const steps = manual
      ? ((node.driver_internal_info.clean_steps as JsonObject[] | undefined) ?? [])
      : this.automatedSteps(node);
    let index = Number(node.driver_internal_info.clean_step_index ?? 0);
    if (node.driver_internal_info.clean_phase === 'running') {
      if (!(await this.agentStepDone(task, 'clean_command_id', `Clean step ${stepLabel(node.clean_step)}`))) return;
      index++;
    }
    // Ironic prepares the ramdisk before any step runs: no out-of-band step is applied for a clean that cannot finish.
    if (agentSession(task.node) === null && steps.slice(index).some(isAgentStep)) await this.mayStart(node, 'clean');
    for (; index < steps.length; index++) {
      const step = steps[index]!;
      await task.update({ clean_step: step });
      if (!isAgentStep(step)) {
        await this.runCleanStep(step, driver);
        continue;
      }
      const session = agentSession(task.node);
      if (session === null) {
        await this.bootRamdisk(task, driver);
        await task.fire('wait', {
          driver_internal_info: { ...task.node.driver_internal_info, clean_step_index: index },
        });
        return;
      }
      const command = await this.deps.agent.execute(session.url, session.token, 'clean.execute_clean_step', {
        step,
        node: agentNodeView(node),
        ports: [],
        clean_version: {},
      });
      await task.fire('wait', {
        driver_internal_info: {
          ...task.node.driver_internal_info,
          clean_phase: 'running',
          clean_command_id: command.id,
          clean_step_index: index,
        },
      });
      return;
    }
    if (steps.length > 0) {
      await driver.power.setPowerState('power off');
      await this.ejectAgentMedia(task.node, driver);
    }
    const { clean_steps: _done, ...internal } = withoutSession(task.node);
    await task.fire(manual ? 'manage' : 'done', {
      clean_step: {},
      driver_internal_info: internal,
      ...(steps.length > 0 ? { power_state: 'power off' as const } : {}),
    });
  }

  /**
   * Reads an agent command's outcome: true when it succeeded (the session's
   * phase is cleared), false when it still runs (the node waits again);
   * a failure throws with the agent's own message.
   */
  private async agentStepDone(
    task: NodeTask,
    idKey: 'clean_command_id' | 'deploy_command_id',
    step: string,
  ): Promise<boolean> {
    const node = task.node;
    const session = agentSession(node);
    const id = node.driver_internal_info[idKey];
    if (session === null || typeof id !== 'string')
      throw new StepFailure(
        `${step} on node ${node.uuid}: lost track of the agent's command, no agent session is recorded.`,
      );
    const command = await during(`${step} on node ${node.uuid}: could not read the agent's progress`, () =>
      this.deps.agent.command(session.url, session.token, id),
    );
    if (command.command_status === 'RUNNING') {
      await task.fire('wait');
      return false;
    }
    if (command.command_status === 'FAILED') {
      // Ironic's words: the step by name (not the agent's command, execute_*_step), then the agent's own reason.
      throw new StepFailure(`${step} failed on node ${node.uuid}: ${describeAgentError(command.command_error)}`);
    }
    const phaseKey = idKey === 'clean_command_id' ? 'clean_phase' : 'deploy_phase';
    const { [idKey]: _id, [phaseKey]: _phase, ...internal } = task.node.driver_internal_info;
    await task.update({ driver_internal_info: internal });
    return true;
  }

  private automatedSteps(node: Node): JsonObject[] {
    const enabled = node.automated_clean ?? this.deps.options.automatedClean;
    return enabled ? [{ interface: 'deploy', step: 'erase_devices_metadata', priority: 99, args: {} }] : [];
  }

  private async runCleanStep(step: JsonObject, driver: BmcDriver): Promise<void> {
    const name = `${String(step.interface)}.${String(step.step)}`;
    const args = (step.args ?? {}) as JsonObject;
    switch (name) {
      case 'bios.apply_configuration': {
        const settings = args.settings;
        if (!Array.isArray(settings))
          throw new StepFailure('bios.apply_configuration needs args.settings: a list of {name, value}.');
        const attributes: BiosAttributes = {};
        for (const s of settings as JsonObject[]) attributes[String(s.name)] = s.value as BiosAttributes[string];
        await requireInterface(driver, 'bios').applySettings(attributes);
        // BIOS settings apply at the next boot.
        await driver.power.setPowerState('rebooting');
        return;
      }
      case 'firmware.update': {
        const settings = args.settings;
        if (!Array.isArray(settings))
          throw new StepFailure('firmware.update needs args.settings: a list of {url, component?}.');
        for (const s of settings as JsonObject[]) {
          if (typeof s.url !== 'string' || (s.component !== undefined && typeof s.component !== 'string'))
            throw new StepFailure('firmware.update needs args.settings: a list of {url, component?} strings.');
          // `component` is Ironic's name (bios, bmc, nic:<id>), as baremetal-operator sends it.
          const result = await requireInterface(driver, 'firmware').update(s.url, {
            ...(s.component ? { component: s.component } : {}),
          });
          if (!result.succeeded) {
            throw new StepFailure(
              `Firmware update from ${String(s.url)} ended ${result.state}: ${result.messages.join('; ')}`,
            );
          }
        }
        return;
      }
      default:
        throw new StepFailure(`Clean step ${name} is not supported by the ${driver.name} driver.`);
    }
  }

  /**
   * The direct deploy, in Ironic's step order: boot the agent and wait for
   * it; then have it write the image (with its checksum and the config
   * drive) and wait while it works; then boot the instance from disk.
   */
  private async deploy(task: NodeTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    const session = agentSession(node);
    if (session === null) {
      await this.mayStart(node, 'deploy');
      await during(`Failed to boot the agent for deployment for node ${node.uuid}`, () =>
        this.bootRamdisk(task, driver),
      );
      await task.fire('wait');
      return;
    }
    if (node.driver_internal_info.deploy_phase !== 'writing') {
      const imageInfo = await this.imageInfo(node);
      const command = await during(`Deploy step deploy.write_image could not start on node ${node.uuid}`, () =>
        this.deps.agent.execute(session.url, session.token, 'deploy.execute_deploy_step', {
          step: { interface: 'deploy', step: 'write_image', priority: 80, args: { image_info: imageInfo } },
          node: agentNodeView(node),
          ports: [],
        }),
      );
      await task.fire('wait', {
        driver_internal_info: { ...node.driver_internal_info, deploy_phase: 'writing', deploy_command_id: command.id },
      });
      return;
    }
    if (!(await this.agentStepDone(task, 'deploy_command_id', 'Deploy step deploy.write_image'))) return;
    // prepare_instance_boot, tear_down_agent, boot_instance: the image is written, only the BMC's part is left.
    await during(`Failed to boot the instance from disk for node ${node.uuid}`, async () => {
      await this.ejectAgentMedia(task.node, driver);
      await driver.management.setBootDevice('disk', { persistent: true, mode: bootModeOf(task.node) });
      await driver.power.setPowerState('power off');
      await driver.power.setPowerState('power on');
    });
    await task.fire('done', { power_state: 'power on', driver_internal_info: withoutSession(task.node) });
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
      image.configdrive = await this.deps.configDrive(configdrive as string | JsonObject, node);
    }
    return image;
  }

  private async tearDown(task: NodeTask, driver: BmcDriver): Promise<void> {
    await driver.power.setPowerState('power off');
    if (isVirtualMediaBoot(task.node)) await requireInterface(driver, 'virtualMedia').eject();
    await task.fire('clean', { power_state: 'power off' });
  }

  /**
   * The agent's work is over: its ISO leaves the virtual drive, as Ironic's
   * virtual media boot does, so an installed OS never sees the deploy ISO
   * as a CD and a later boot cannot fall back into the agent.
   */
  private async ejectAgentMedia(node: Node, driver: BmcDriver): Promise<void> {
    if (isVirtualMediaBoot(node)) await requireInterface(driver, 'virtualMedia').eject();
  }

  /** Fails the step, before the machine is touched, when what it boots or hands the agent is missing or invalid. */
  private async mayStart(node: Node, work: AgentWork): Promise<void> {
    const problem = await this.prerequisites.problem(node, work);
    if (problem !== null) throw new StepFailure(problem);
  }

  /** Next boot from the network (or the agent ISO over virtual media), then (re)start the machine. */
  private async bootRamdisk(task: NodeTask, driver: BmcDriver): Promise<void> {
    const node = task.node;
    const mode = bootModeOf(node);
    if (isVirtualMediaBoot(node)) {
      const iso = node.driver_info.deploy_iso;
      if (typeof iso !== 'string' || iso === '') {
        throw new StepFailure('Virtual media boot needs driver_info/deploy_iso: the URL of the agent ISO.');
      }
      await requireInterface(driver, 'virtualMedia').insert(iso);
      await driver.management.setBootDevice('cdrom', { persistent: false, mode });
    } else {
      await driver.management.setBootDevice('pxe', { persistent: false, mode });
    }
    const target: PowerTarget = (await driver.power.getPowerState()) === 'power on' ? 'rebooting' : 'power on';
    // A fresh agent is coming: forget the last one, so its token and callback cannot be reused.
    await task.update({ driver_internal_info: withoutSession(node) });
    await driver.power.setPowerState(target);
    await task.update({ power_state: 'power on' });
  }
}

/**
 * The node as the agent is told of it with a command: what it reads to pick
 * the disk (root_device hints in instance_info or properties) and the boot
 * mode, without secrets (the image URL and config drive travel in image_info).
 */
function agentNodeView(node: Node): JsonObject {
  const { root_device, capabilities } = node.instance_info;
  return {
    uuid: node.uuid,
    properties: node.properties,
    instance_info: {
      ...(root_device !== undefined ? { root_device } : {}),
      ...(capabilities !== undefined ? { capabilities } : {}),
    },
  };
}

function isAgentStep(step: JsonObject): boolean {
  return step.interface === 'deploy' || (step.interface === 'raid' && step.step === 'create_configuration');
}

/** `interface.step` of a clean or deploy step, as Ironic names steps in messages. */
function stepLabel(step: JsonObject): string {
  if (typeof step.step !== 'string') return 'agent step';
  return `${typeof step.interface === 'string' ? step.interface : 'deploy'}.${step.step}`;
}

/**
 * Runs one phase of a step; a failure that is not already worded for a
 * person is prefixed with what was being done, so last_error says which
 * part of a long step broke (booting the agent, or the instance).
 */
async function during<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof StepFailure || err instanceof UnsupportedOperation) throw err;
    throw new StepFailure(`${what}: ${describeCause(err)}`);
  }
}

/** The BMC's own words ("refused the credentials", an RMCP+ status) do not all say what the operator must fix: the user name or password. */
function describeCause(err: unknown): string {
  const what = err instanceof Error ? err.message : String(err);
  return err instanceof BmcAuthFailed
    ? `BMC authentication failed, check the user name and password in driver_info: ${what}`
    : what;
}

function describeAgentError(error: unknown): string {
  if (error === null || error === undefined) return 'no reason given';
  if (typeof error === 'string') return error;
  const e = error as { message?: unknown; details?: unknown };
  for (const text of [e.details, e.message]) if (typeof text === 'string') return text;
  return JSON.stringify(error);
}

/** UEFI unless the node says legacy BIOS, in Ironic's places for it. */
function bootModeOf(node: Node): BootMode {
  const fromInstance = (node.instance_info.capabilities as JsonObject | undefined)?.boot_mode;
  const caps = typeof node.properties.capabilities === 'string' ? node.properties.capabilities : '';
  const fromProps = /(?:^|,)boot_mode:(\w+)/.exec(caps)?.[1];
  const mode = typeof fromInstance === 'string' ? fromInstance : (fromProps ?? 'uefi');
  return mode === 'bios' || mode === 'legacy' ? 'bios' : 'uefi';
}

function failureMessage(state: ProvisionState, node: Node, err: unknown): string {
  if (err instanceof StepFailure || err instanceof UnsupportedOperation) return err.message;
  const cause = describeCause(err);
  const verb: Partial<Record<ProvisionState, string>> = {
    verifying: 'Failed to verify the BMC',
    inspecting: 'Failed to inspect the hardware',
    cleaning: 'Cleaning failed',
    deploying: 'Deploy failed',
    deleting: 'Failed to tear down',
    adopting: 'Failed to adopt',
  };
  return `${verb[state] ?? 'Step failed'} for node ${node.uuid}: ${cause}`;
}
