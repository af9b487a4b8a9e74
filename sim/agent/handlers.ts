// What each IPA command does on a simulated host. Names are IPA's
// `extension.method`; params are what Ironic's agent client sends.
import type { BootMode, SimHost } from '../host/index.js';
import { blockDevices } from './block-devices.js';
import { nodeBootMode, type AgentNode } from './boot-mode.js';
import { AgentCommandError } from './command-error.js';
import type { CommandOutcome, CommandRun } from './commands.js';
import { configDriveIso, readConfigDrive } from './config-drive.js';
import type { HostDisk } from './disk.js';
import { writeImage, type ImageInfo } from './image-write.js';
import { rootDevice } from './root-device.js';
import { CLEAN_STEPS, DEPLOY_STEPS, HARDWARE_MANAGER, HARDWARE_MANAGER_VERSION } from './steps.js';

export interface HandlerContext {
  host: SimHost;
  disk: HostDisk;
  /** The node as the agent last heard of it (IPA's cached node): the lookup's, then each step command's. */
  node: () => AgentNode | null;
  /** Throws when the agent has died; long work calls it between pieces. A plain function, handed on as it is. */
  checkAlive: () => void;
  /** IPA after finalize_rescue: the agent closes its API and stops heartbeating; the ramdisk runs on. */
  leaveForRescue: () => void;
  imageStallTimeoutMs: number;
  httpTimeoutMs: number;
}

export interface CommandHandler {
  /**
   * IPA answers these at once, even with wait=false (they only read state),
   * so the POST already carries the result.
   */
  sync: boolean;
  run: CommandRun;
}

export function commandHandlers(ctx: HandlerContext): ReadonlyMap<string, CommandHandler> {
  return new Map<string, CommandHandler>([
    [
      'deploy.get_deploy_steps',
      {
        sync: true,
        run: async () =>
          done({
            deploy_steps: { [HARDWARE_MANAGER]: DEPLOY_STEPS },
            hardware_manager_version: HARDWARE_MANAGER_VERSION,
          }),
      },
    ],
    ['deploy.execute_deploy_step', { sync: false, run: (params, signal) => deployStep(ctx, params, signal) }],
    [
      'clean.get_clean_steps',
      {
        sync: true,
        run: async () =>
          done({
            clean_steps: { [HARDWARE_MANAGER]: CLEAN_STEPS },
            hardware_manager_version: HARDWARE_MANAGER_VERSION,
          }),
      },
    ],
    ['clean.execute_clean_step', { sync: false, run: (params) => cleanStep(ctx, params) }],
    // The pre-deploy-steps way of writing an image, still what older conductors send.
    [
      'standby.prepare_image',
      {
        sync: false,
        run: (params, signal) => writeImageFrom(ctx, params.image_info, params.configdrive, signal).then(done),
      },
    ],
    ['standby.get_partition_uuids', { sync: true, run: async () => done(partitionUuids(ctx)) }],
    ['standby.sync', { sync: true, run: async () => done(null) }],
    [
      'standby.power_off',
      { sync: false, run: async () => ({ result: null, afterReport: () => ctx.host.powerAction('ForceOff') }) },
    ],
    ['image.install_bootloader', { sync: false, run: async (params) => done(installBootloader(ctx, params)) }],
    ['rescue.finalize_rescue', { sync: true, run: async (params) => finalizeRescue(ctx, params) }],
  ]);
}

/**
 * IPA's rescue extension: the password becomes the rescue user's (a hash
 * as sent when `hashed`; IPA hashes a plain one itself), then, once the
 * answer is out, the agent stops serving so its API is never left open to
 * whoever now uses the machine.
 */
function finalizeRescue(ctx: HandlerContext, params: Record<string, unknown>): CommandOutcome {
  const password = params.rescue_password;
  if (typeof password !== 'string' || password === '')
    throw new AgentCommandError('InvalidCommandParamsError', 'rescue_password is missing or empty');
  const hashed = params.hashed === true;
  ctx.host.enterRescue(password, hashed);
  return { result: null, afterReport: ctx.leaveForRescue };
}

function done(result: unknown): CommandOutcome {
  return { result };
}

function stepOf(params: Record<string, unknown>): { step: string; args: Record<string, unknown>; raw: unknown } {
  const raw = params.step;
  const step = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const args = typeof step.args === 'object' && step.args !== null ? (step.args as Record<string, unknown>) : {};
  if (typeof step.step !== 'string')
    throw new AgentCommandError('InvalidCommandParamsError', 'params.step.step is missing');
  return { step: step.step, args, raw };
}

async function deployStep(
  ctx: HandlerContext,
  params: Record<string, unknown>,
  signal: AbortSignal,
): Promise<CommandOutcome> {
  const { step, args, raw } = stepOf(params);
  const wrap = (result: unknown, afterReport?: () => void): CommandOutcome => ({
    result: { deploy_result: result, deploy_step: raw },
    ...(afterReport ? { afterReport } : {}),
  });
  switch (step) {
    case 'write_image': {
      const info = args.image_info;
      const configdrive =
        args.configdrive ?? (typeof info === 'object' && info !== null ? (info as ImageInfo).configdrive : undefined);
      return wrap(await writeImageFrom(ctx, info, configdrive, signal));
    }
    case 'install_os': {
      // Installs from its own arguments (no image_info): `url` and its `sha256`, as a custom installer would.
      if (typeof args.url !== 'string' || typeof args.sha256 !== 'string')
        throw new AgentCommandError('InvalidCommandParamsError', 'install_os needs args url and sha256');
      const info: ImageInfo = {
        id: args.url,
        urls: [args.url],
        os_hash_algo: 'sha256',
        os_hash_value: args.sha256,
        disk_format: 'raw',
      };
      return wrap(await writeImageFrom(ctx, info, undefined, signal));
    }
    case 'prepare_instance_boot':
      // The disk already holds a whole-disk image with its own bootloader; nothing to install.
      return wrap(null);
    case 'tear_down_agent':
      return wrap(null, () => ctx.host.powerAction('ForceOff'));
    case 'boot_instance':
      return wrap(null, () => ctx.host.powerAction('ForceRestart'));
    default:
      throw new AgentCommandError(
        'InvalidCommandParamsError',
        `Unknown deploy step ${step}; this agent offers ${DEPLOY_STEPS.map((s) => s.step).join(', ')}`,
      );
  }
}

async function cleanStep(ctx: HandlerContext, params: Record<string, unknown>): Promise<CommandOutcome> {
  const { step, raw } = stepOf(params);
  const wrap = (result: unknown): CommandOutcome => ({ result: { clean_result: result, clean_step: raw } });
  switch (step) {
    case 'erase_devices_metadata': {
      const zeroed = await ctx.disk.eraseMetadata();
      await forgetInstalledOs(ctx);
      return wrap({ zeroed_bytes: zeroed });
    }
    case 'erase_devices':
      await ctx.disk.eraseAll();
      await forgetInstalledOs(ctx);
      return wrap(null);
    default:
      throw new AgentCommandError(
        'InvalidCommandParamsError',
        `Unknown clean step ${step}; this agent offers ${CLEAN_STEPS.map((s) => s.step).join(', ')}`,
      );
  }
}

/** With its partition table gone, the disk holds no OS and no config drive anybody can find. */
async function forgetInstalledOs(ctx: HandlerContext): Promise<void> {
  await ctx.disk.dropConfigDrive();
  ctx.host.setDisk(null);
}

/**
 * IPA's prepare_image for a whole-disk image: the root device by the node's
 * hints, the image streamed onto it and verified, then the config drive;
 * the image carries its own bootloader, for the boot mode the node asks.
 */
async function writeImageFrom(
  ctx: HandlerContext,
  info: unknown,
  configdrive: unknown,
  signal: AbortSignal,
): Promise<string> {
  if (typeof info !== 'object' || info === null)
    throw new AgentCommandError('InvalidCommandParamsError', 'image_info is missing');
  const imageInfo = info as ImageInfo;
  const node = ctx.node();
  const device = rootDevice(blockDevices(ctx.host), rootDeviceHints(node));
  const written = await writeImage(ctx.disk, device.name, imageInfo, {
    stallTimeoutMs: ctx.imageStallTimeoutMs,
    signal,
    checkAlive: ctx.checkAlive,
  });
  let configDrivePath: string | null = null;
  let driveNote = 'no config drive';
  if (typeof configdrive === 'string' && configdrive !== '') {
    const nodeUuid =
      typeof node?.uuid === 'string' ? node.uuid : typeof imageInfo.node_uuid === 'string' ? imageInfo.node_uuid : '';
    const iso = await configDriveIso(configdrive, { nodeUuid, timeoutMs: ctx.httpTimeoutMs, signal });
    await ctx.disk.keepConfigDrive(iso);
    configDrivePath = ctx.disk.configDrivePath;
    // IPA copies the ISO without reading it; an unreadable one is noted, not refused.
    driveNote = await readConfigDrive(iso).then(
      (view) =>
        `config drive for ${view.hostname ?? 'no hostname'} (${view.addresses.map((a) => a.address).join(', ') || 'no static addresses'})`,
      (err: unknown) => `config drive kept but unreadable: ${err instanceof Error ? err.message : String(err)}`,
    );
  } else {
    await ctx.disk.dropConfigDrive();
  }
  const bootMode = nodeBootMode(node, ramdiskBootMode(ctx.host));
  ctx.host.setDisk({
    path: ctx.disk.imagePathOf(device.name),
    imageUrl: written.url,
    bytes: written.bytes,
    sha256: written.sha256,
    writtenAt: new Date().toISOString(),
    configDrivePath,
    device: device.name,
    bootMode,
  });
  ctx.host.recordBootStep({
    kind: 'disk',
    source: written.url,
    outcome: 'ok',
    detail: `${written.bytes} bytes to ${device.name}, ${written.checksum.algo} verified, sha256 ${written.sha256}; ${bootMode} bootloader; ${driveNote}`,
  });
  return `image (${String(imageInfo.id)}) written to device ${device.name}`;
}

/** IPA's order: the instance's hints, else the node's (an empty set of hints counts as none). */
function rootDeviceHints(node: AgentNode | null): unknown {
  const fromInstance = (node?.instance_info as { root_device?: unknown } | undefined)?.root_device;
  const usable = (hints: unknown): boolean =>
    typeof hints === 'object' && hints !== null && Object.keys(hints).length > 0;
  return usable(fromInstance) ? fromInstance : (node?.properties as { root_device?: unknown } | undefined)?.root_device;
}

/** The mode the running ramdisk booted in: what IPA falls back on when the node names none. */
function ramdiskBootMode(host: SimHost): BootMode {
  return host.lastBoot?.mode ?? host.boot.mode;
}

/**
 * IPA's install_bootloader: the bootloader on the disk written last is
 * installed again for `target_boot_mode` (IPA's default, bios, when absent).
 */
function installBootloader(ctx: HandlerContext, params: Record<string, unknown>): null {
  const disk = ctx.host.disk;
  if (disk === null)
    throw new AgentCommandError('CommandExecutionError', 'No image was written: there is no root partition to boot');
  const bootMode: BootMode = params.target_boot_mode === 'uefi' ? 'uefi' : 'legacy';
  ctx.host.setDisk({ ...disk, bootMode });
  ctx.host.recordBootStep({
    kind: 'disk',
    source: disk.device,
    outcome: 'ok',
    detail: `${bootMode} bootloader installed`,
  });
  return null;
}

function partitionUuids(ctx: HandlerContext): Record<string, string> {
  const disk = ctx.host.disk;
  // A whole-disk image has no partitions the agent made; IPA reports the disk's identifier.
  return disk === null ? {} : { 'disk identifier': `0x${disk.sha256.slice(0, 8)}` };
}
