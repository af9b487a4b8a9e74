// The Redfish hardware types (`redfish`, `idrac`) as a BmcDriver: every
// interface, each method one guarded call over the typed Redfish client.
// The system is resolved on the first call and kept with its session.
import { readFile } from 'node:fs/promises';
import { hostPort } from '../address.js';
import { bmcKey, type RedfishConnection } from '../driver-info.js';
import {
  BOOT_DEVICES,
  checkBootDevice,
  checkPowerTarget,
  POWER_TARGETS,
  type BiosInterface,
  type BmcDriver,
  type EventsInterface,
  type FirmwareInterface,
  type FirmwareUpdateOptions,
  type FirmwareUpdateResult,
  type InspectInterface,
  type ManagementInterface,
  type PowerInterface,
  type PowerState,
  type PowerTarget,
  type RaidInterface,
  type RaidOptions,
  type BuiltLogicalDisk,
  type LogicalDisk,
  type VirtualMediaInterface,
} from '../driver.js';
import { bmcErrorOf, DriverClosed, InvalidDriverInfo } from '../errors.js';
import type { BmcCallGuard, GuardedCall } from '../guard.js';
import type { TaskOutcome } from './client.js';
import { RedfishProtocolError } from './errors.js';
import { createSubscription, deleteSubscription, getSubscription, listSubscriptions } from './events.js';
import { redfishFailure } from './failure.js';
import { getBiosAttributes, getBiosRegistry, getPendingBiosAttributes, setBiosAttributes } from './bios.js';
import { firmwareTargetOf, getFirmwareComponents, startFirmwareUpdate } from './firmware.js';
import { inspectHardware } from './inspect.js';
import { getBootDevice, injectNmi, setBootDevice, setHttpBootUri } from './management.js';
import { EXPECTED_POWER_STATE, getPowerAndHealth, getPowerState, setPowerState, waitForPower } from './power.js';
import { builtVolumes, createVolume, deleteVolume, readStorage, volumeRequests, type VolumeChange } from './raid.js';
import { planRaidConfiguration, selectLogicalDisks } from './raid-plan.js';
import { connectRedfish, type RedfishSystem } from './system-path.js';
import { ejectVirtualMedia, insertVirtualMedia, listVirtualMedia } from './virtual-media.js';

/** Ironic's power_state_change_timeout. */
const POWER_STATE_CHANGE_TIMEOUT_MS = 60_000;
const POWER_POLL_INTERVAL_MS = 1000;
const FIRMWARE_UPDATE_TIMEOUT_MS = 30 * 60_000;
const FIRMWARE_POLL_INTERVAL_MS = 10_000;
const RAID_TASK_TIMEOUT_MS = 30 * 60_000;
const RAID_POLL_INTERVAL_MS = 10_000;
/** Reboots repeat what they did if sent twice; the others end where they were asked to. */
const REPEATABLE: ReadonlySet<PowerTarget> = new Set(['power on', 'power off', 'soft power off']);

export interface RedfishDriverOptions {
  /** Deadline of one HTTP exchange; the guard's attempt deadline when absent. */
  requestTimeoutMs?: number;
}

type CallOptions = Partial<Pick<GuardedCall<unknown>, 'timeoutMs' | 'idempotent' | 'secrets'>>;

export class RedfishDriver implements BmcDriver {
  readonly name: 'redfish' | 'idrac';
  readonly bmc: string;
  readonly power: PowerInterface;
  readonly management: ManagementInterface;
  readonly inspect: InspectInterface;
  readonly virtualMedia: VirtualMediaInterface;
  readonly bios: BiosInterface;
  readonly firmware: FirmwareInterface;
  readonly raid: RaidInterface;
  readonly events: EventsInterface;
  private system: RedfishSystem | null = null;
  private used = false;
  private closed = false;

  constructor(
    private readonly connection: RedfishConnection,
    private readonly guard: BmcCallGuard,
    private readonly options: RedfishDriverOptions = {},
  ) {
    this.name = connection.hardwareType;
    this.bmc = bmcKey(connection);
    this.power = {
      supportedPowerStates: POWER_TARGETS,
      getPowerState: () => this.call('get_power_state', async (system) => mapped(system, await getPowerState(system))),
      getPowerAndHealth: () =>
        this.call('get_power_state', async (system) => {
          const { power, health } = await getPowerAndHealth(system);
          return { power: mapped(system, power), health };
        }),
      setPowerState: async (target, options = {}) => {
        const checked = checkPowerTarget(this.name, POWER_TARGETS, target);
        const waitMs = options.timeoutMs ?? POWER_STATE_CHANGE_TIMEOUT_MS;
        // The action and the wait for its result are two calls, so that a
        // failed look at the power state is retried on its own: retrying both
        // would send a reboot twice, and the second boot would miss the
        // one-time boot override the first one consumed.
        await this.call('set_power_state', (system) => setPowerState(system, checked), {
          idempotent: REPEATABLE.has(checked),
        });
        if (waitMs > 0) {
          await this.call(
            'wait_power_state',
            (system) => waitForPower(system, EXPECTED_POWER_STATE[checked], waitMs, POWER_POLL_INTERVAL_MS),
            {
              timeoutMs: this.guard.policy.timeoutMs + waitMs,
            },
          );
        }
      },
    };
    this.management = {
      supportedBootDevices: BOOT_DEVICES,
      getBootDevice: () => this.call('get_boot_device', (system) => getBootDevice(system)),
      setBootDevice: async (device, options = {}) => {
        const checked = checkBootDevice(this.name, BOOT_DEVICES, device);
        await this.call('set_boot_device', (system) => setBootDevice(system, checked, options));
      },
      injectNmi: () => this.call('inject_nmi', (system) => injectNmi(system)),
      setHttpBootUri: (uri, options = {}) =>
        this.call('set_http_boot_uri', (system) => setHttpBootUri(system, uri, options)),
    };
    this.inspect = {
      inspectHardware: () =>
        this.call('inspect_hardware', (system) => inspectHardware(system), {
          timeoutMs: this.guard.policy.inspectTimeoutMs,
        }),
    };
    this.virtualMedia = {
      list: () => this.call('get_virtual_media', (system) => listVirtualMedia(system)),
      insert: async (imageUrl) => {
        await this.call('insert_virtual_media', (system) => insertVirtualMedia(system, imageUrl));
      },
      eject: () => this.call('eject_virtual_media', (system) => ejectVirtualMedia(system)),
    };
    this.bios = {
      getAttributes: () => this.call('get_bios_attributes', (system) => getBiosAttributes(system)),
      getRegistry: () => this.call('get_bios_registry', (system) => getBiosRegistry(system)),
      getPendingAttributes: () =>
        this.call('get_pending_bios_attributes', (system) => getPendingBiosAttributes(system)),
      applySettings: (attributes) =>
        this.call('apply_bios_settings', (system) => setBiosAttributes(system, attributes)),
    };
    this.firmware = {
      getComponents: () =>
        this.call('get_firmware_components', (system) => getFirmwareComponents(system), {
          timeoutMs: this.guard.policy.inspectTimeoutMs,
        }),
      update: (imageUrl, options) => this.updateFirmware(imageUrl, options),
    };
    this.raid = {
      getStorage: async () =>
        (
          await this.call('get_raid_storage', (system) => readStorage(system), {
            timeoutMs: this.guard.policy.inspectTimeoutMs,
          })
        ).controllers,
      createConfiguration: (logicalDisks, options) => this.createRaid(logicalDisks, options),
      deleteConfiguration: (options) => this.deleteRaid(options),
    };
    this.events = {
      // A retried POST could leave two subscriptions; the headers often carry the listener's credentials.
      createSubscription: (request) =>
        this.call('create_subscription', (system) => createSubscription(system, request), {
          idempotent: false,
          secrets: [
            this.connection.password,
            ...(request.httpHeaders ?? []).flatMap((h) => Object.values(h)).filter((v) => v !== ''),
          ],
        }),
      listSubscriptions: () => this.call('get_all_subscriptions', (system) => listSubscriptions(system)),
      getSubscription: (id) => this.call('get_subscription', (system) => getSubscription(system, id)),
      deleteSubscription: (id) => this.call('delete_subscription', (system) => deleteSubscription(system, id)),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.used) return;
    // Through the guard, so the logout waits for calls in flight, the first
    // of which may still be logging in.
    await this.guard.call({
      ...this.describe('close_session'),
      run: async () => {
        const system = this.system;
        this.system = null;
        await system?.client.close();
      },
    });
  }

  /**
   * SimpleUpdate, then one guarded look at the task per interval, so power
   * sync and everything else still reach this BMC during a long update.
   */
  private async updateFirmware(imageUrl: string, options: FirmwareUpdateOptions = {}): Promise<FirmwareUpdateResult> {
    const timeoutMs = options.timeoutMs ?? FIRMWARE_UPDATE_TIMEOUT_MS;
    const interval = Math.max(10, options.pollIntervalMs ?? FIRMWARE_POLL_INTERVAL_MS);
    const started = this.guard.clock.now();
    const component = options.component;
    const targets =
      component === undefined
        ? options.targets
        : [await this.call('find_firmware_component', (system) => firmwareTargetOf(system, component))];
    const start = await this.call(
      'update_firmware',
      (system) => startFirmwareUpdate(system, imageUrl, targets === undefined ? {} : { targets }),
      { idempotent: false },
    );
    // Some BMCs apply an update at once and answer 200/204 with no task to follow.
    if (start.kind === 'done') return { succeeded: true, state: 'Done', messages: [] };
    const outcome = await this.followTask('update_firmware', 'get_firmware_update_status', start.monitor, {
      started,
      timeoutMs,
      interval,
    });
    return { succeeded: outcome.state === 'Completed', state: outcome.state, messages: outcome.messages };
  }

  /**
   * Plans the whole target first onto the controllers that take volumes, and
   * checks every request against them (an impossible target is refused
   * before any volume exists), then creates the selected volumes one at a
   * time, each task followed to its end before the next: many controllers
   * take one volume request at a time.
   */
  private async createRaid(logicalDisks: LogicalDisk[], options: RaidOptions = {}): Promise<BuiltLogicalDisk[]> {
    const before = await this.call('get_raid_storage', (system) => readStorage(system), {
      timeoutMs: this.guard.policy.inspectTimeoutMs,
    });
    const chosen = new Set(selectLogicalDisks(logicalDisks, options));
    const withVolumes = before.controllers.filter((c) => before.volumeCollections.has(c.id));
    const plans = planRaidConfiguration(logicalDisks, withVolumes).filter((p) => chosen.has(p.logicalDisk));
    const requests = await this.call('check_raid_volumes', (system) => volumeRequests(system, before, plans));
    for (const request of requests) {
      const change = await this.call('create_raid_volume', (system) => createVolume(system, request), {
        idempotent: false,
      });
      await this.finishVolumeChange('create_configuration', change, options);
    }
    const after = await this.call('get_raid_storage', (system) => readStorage(system), {
      timeoutMs: this.guard.policy.inspectTimeoutMs,
    });
    return builtVolumes(plans, before.controllers, after.controllers);
  }

  /** Deletes every volume that has a RAID type, as Ironic's delete_configuration does. */
  private async deleteRaid(options: Pick<RaidOptions, 'timeoutMs' | 'pollIntervalMs'> = {}): Promise<number> {
    const storage = await this.call('get_raid_storage', (system) => readStorage(system), {
      timeoutMs: this.guard.policy.inspectTimeoutMs,
    });
    const volumes = storage.controllers.flatMap((c) => c.volumes).filter((v) => v.raidLevel !== null);
    for (const volume of volumes) {
      const change = await this.call('delete_raid_volume', (system) => deleteVolume(system, storage, volume));
      await this.finishVolumeChange('delete_configuration', change, options);
    }
    return volumes.length;
  }

  private async finishVolumeChange(
    operation: string,
    change: VolumeChange,
    options: Pick<RaidOptions, 'timeoutMs' | 'pollIntervalMs'>,
  ): Promise<void> {
    if (change.kind === 'done') return;
    await this.followTask(operation, 'get_raid_task_status', change.monitor, {
      started: this.guard.clock.now(),
      timeoutMs: options.timeoutMs ?? RAID_TASK_TIMEOUT_MS,
      interval: Math.max(10, options.pollIntervalMs ?? RAID_POLL_INTERVAL_MS),
    });
  }

  /**
   * One guarded look at a task per interval until it ends, so power sync
   * and everything else still reach this BMC during a long task. A task
   * that fails throws (RedfishTaskError, refused by the guard).
   */
  private async followTask(
    operation: string,
    pollOperation: string,
    monitor: string,
    timing: { started: number; timeoutMs: number; interval: number },
  ): Promise<TaskOutcome> {
    const { started, timeoutMs, interval } = timing;
    const maxPolls = Math.ceil(timeoutMs / interval) + 1;
    for (let poll = 0; poll < maxPolls && this.guard.clock.now() - started < timeoutMs; poll++) {
      const outcome = await this.call(pollOperation, (system) => system.client.pollTask(monitor));
      if (outcome !== null) return outcome;
      await this.guard.clock.sleep(interval);
    }
    throw bmcErrorOf(
      { driver: this.name, operation, bmc: this.bmc, attempts: 1 },
      { kind: 'timeout', transient: false, message: `the ${operation} task did not finish within ${timeoutMs} ms` },
    );
  }

  private call<T>(
    operation: string,
    work: (system: RedfishSystem) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    if (this.closed) return Promise.reject(new DriverClosed(this.name, this.bmc));
    this.used = true;
    return this.guard.call({
      ...this.describe(operation),
      ...options,
      run: async () => work(await this.connected()),
    });
  }

  private describe(operation: string): Omit<GuardedCall<unknown>, 'run'> {
    return {
      driver: this.name,
      operation,
      bmc: this.bmc,
      classify: redfishFailure,
      secrets: [this.connection.password],
    };
  }

  /** The system, resolved on first use; the guard's lock keeps two calls from resolving it at once. */
  private async connected(): Promise<RedfishSystem> {
    if (this.system !== null) return this.system;
    const { connection } = this;
    const tls =
      connection.verify.kind === 'off'
        ? { insecure: true }
        : connection.verify.kind === 'ca-file'
          ? { ca: await readCa(connection.verify.path) }
          : {};
    this.system = await connectRedfish(
      `${connection.scheme}://${hostPort(connection.host, connection.port)}${connection.systemPath ?? ''}`,
      { username: connection.username, password: connection.password },
      { ...tls, auth: connection.authType, timeoutMs: this.options.requestTimeoutMs ?? this.guard.policy.timeoutMs },
    );
    return this.system;
  }
}

async function readCa(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    throw new InvalidDriverInfo('redfish_verify_ca', 'names a CA bundle that cannot be read');
  }
}

/** A power state Anvil has a name for; a read of any other fails as a protocol error. */
function mapped(system: RedfishSystem, state: PowerState | null): PowerState {
  if (state === null) throw new RedfishProtocolError(`${system.path} reports a PowerState Anvil cannot map`);
  return state;
}
