import {
  biosValueProblem,
  describeBiosProblem,
  type BiosAttributeDefinition,
  type BiosValueProblem,
} from './bios-registry.js';
import { FirmwareJob } from './firmware-job.js';
import { SimStorage, type SimVolume } from './storage.js';
import type {
  BiosAttributes,
  BiosValue,
  BmcCredentials,
  BootOverride,
  BootRecord,
  BootStep,
  BootTarget,
  Clock,
  CommandRecord,
  CpuSummary,
  DiskContents,
  FirmwareComponent,
  HealthState,
  OsView,
  PowerAction,
  PowerEvent,
  PowerState,
  RescueView,
  SimDisk,
  SimNic,
  VirtualMediaSlot,
} from './types.js';

/** Everything that describes one machine when it is built. */
export interface SimHostSpec {
  name: string;
  uuid: string;
  vendor: string;
  model: string;
  serial: string;
  cpu: CpuSummary;
  memoryMiB: number;
  nics: SimNic[];
  disks: SimDisk[];
  bios: BiosAttributes;
  /** What the firmware publishes about its BIOS attributes; none, and only names and types are checked. */
  biosRegistry?: readonly BiosAttributeDefinition[];
  firmware: FirmwareComponent[];
  credentials: BmcCredentials;
  power?: PowerState;
  boot?: BootOverride;
}

export interface SimHostOptions {
  clock?: Clock;
  /** How many command records, and how many boot steps, are kept; older ones are dropped. */
  historyLimit?: number;
  /** How long the RAID controller takes to build a volume. Default 1000 ms. */
  volumeBuildMs?: number;
}

export type SimHostErrorCode =
  | 'UnknownAttribute'
  | 'InvalidAttributeValue'
  | 'ReadOnlyAttribute'
  | 'AttributeValueNotInList'
  | 'AttributeValueOutOfRange'
  | 'MediaInUse'
  | 'UnknownComponent';

const BIOS_PROBLEM_CODE: Readonly<Record<BiosValueProblem, SimHostErrorCode>> = {
  ReadOnly: 'ReadOnlyAttribute',
  WrongType: 'InvalidAttributeValue',
  NotInList: 'AttributeValueNotInList',
  OutOfRange: 'AttributeValueOutOfRange',
};

/** A request the machine refuses; faces turn it into their protocol's error. */
export class SimHostError extends Error {
  readonly code: SimHostErrorCode;
  readonly property: string | null;

  constructor(code: SimHostErrorCode, message: string, property: string | null = null) {
    super(message);
    this.name = 'SimHostError';
    this.code = code;
    this.property = property;
  }
}

export interface PowerActionOptions {
  /** Decided by the fault model: the firmware starts but finds nothing to boot. */
  bootFails?: boolean;
}

/** A plain JSON view of the machine, as the control API shows it. */
export interface SimHostSnapshot {
  name: string;
  uuid: string;
  vendor: string;
  model: string;
  serial: string;
  power: PowerState;
  health: HealthState;
  boot: BootOverride;
  media: VirtualMediaSlot;
  bios: BiosAttributes;
  pendingBios: BiosAttributes;
  firmware: FirmwareComponent[];
  nics: SimNic[];
  disks: SimDisk[];
  volumes: SimVolume[];
  cpu: CpuSummary;
  memoryMiB: number;
  lastBoot: BootRecord | null;
  bootCount: number;
  nmiCount: number;
  inFlight: number;
  maxInFlight: number;
  history: CommandRecord[];
  bootSteps: BootStep[];
  /**
   * The agent tokens lookup handed this machine's agents, oldest first: the
   * console shows what the machine holds (as the manifest shows BMC
   * passwords), so a test can check that none ever leaks out of Anvil.
   */
  agentTokens: string[];
  os: OsView | null;
  disk: DiskContents | null;
  /** The rescue ramdisk's environment, once an agent finalized a rescue. */
  rescue: RescueView | null;
}

const DEFAULT_HISTORY_LIMIT = 200;

/**
 * One simulated machine: pure state and small methods, no network code.
 * Every protocol face acts on the same instance, so a power-off over IPMI is
 * seen over Redfish.
 */
export class SimHost {
  readonly name: string;
  readonly uuid: string;
  readonly vendor: string;
  readonly model: string;
  readonly serial: string;
  readonly cpu: CpuSummary;
  readonly memoryMiB: number;
  readonly credentials: BmcCredentials;
  /** The RAID controller over the disks. */
  readonly storage: SimStorage;

  private readonly clock: Clock;
  private readonly historyLimit: number;
  private readonly nicList: SimNic[];
  private readonly diskList: SimDisk[];
  private readonly biosDefaults: BiosAttributes;
  private readonly biosDefinitions: ReadonlyMap<string, BiosAttributeDefinition> | null;
  private biosCurrent: BiosAttributes;
  private biosPending: BiosAttributes = {};
  private biosAppliedAtMs: number | null = null;
  private readonly firmwareList: FirmwareComponent[];
  private readonly jobs: FirmwareJob[] = [];
  private powerState: PowerState;
  private hardwareHealth: HealthState = 'OK';
  private bootOverride: BootOverride;
  private mediaSlot: VirtualMediaSlot = { image: null, inserted: false, writeProtected: true };
  private lastBootRecord: BootRecord | null = null;
  private boots = 0;
  private nmis = 0;
  private inFlightCount = 0;
  private maxInFlightCount = 0;
  private readonly commandHistory: CommandRecord[] = [];
  private readonly bootStepList: BootStep[] = [];
  private readonly agentTokenList: string[] = [];
  private osView: OsView | null = null;
  private diskContents: DiskContents | null = null;
  private rescueView: RescueView | null = null;
  private readonly powerListeners = new Set<(event: PowerEvent) => void>();

  constructor(spec: SimHostSpec, options: SimHostOptions = {}) {
    this.name = spec.name;
    this.uuid = spec.uuid;
    this.vendor = spec.vendor;
    this.model = spec.model;
    this.serial = spec.serial;
    this.cpu = { ...spec.cpu };
    this.memoryMiB = spec.memoryMiB;
    this.credentials = { ...spec.credentials };
    this.nicList = spec.nics.map((n) => ({ ...n }));
    this.diskList = spec.disks.map((d) => ({ ...d }));
    this.biosDefaults = { ...spec.bios };
    this.biosDefinitions = spec.biosRegistry ? new Map(spec.biosRegistry.map((d) => [d.name, { ...d }])) : null;
    this.biosCurrent = { ...spec.bios };
    this.firmwareList = spec.firmware.map((f) => ({ ...f }));
    this.powerState = spec.power ?? 'Off';
    this.bootOverride = spec.boot ? { ...spec.boot } : { target: 'none', enabled: 'disabled', mode: 'uefi' };
    this.clock = options.clock ?? Date.now;
    this.historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.storage = new SimStorage(this.diskList, options.volumeBuildMs ?? 1000, this.clock);
  }

  get power(): PowerState {
    return this.powerState;
  }

  /** The hardware's condition as its BMC judges it; a test sets it to play a failing part. */
  get health(): HealthState {
    return this.hardwareHealth;
  }

  get boot(): BootOverride {
    return { ...this.bootOverride };
  }

  get media(): VirtualMediaSlot {
    return { ...this.mediaSlot };
  }

  get nics(): SimNic[] {
    return this.nicList.map((n) => ({ ...n }));
  }

  get disks(): SimDisk[] {
    return this.diskList.map((d) => ({ ...d }));
  }

  get bios(): BiosAttributes {
    return { ...this.biosCurrent };
  }

  get pendingBios(): BiosAttributes {
    return { ...this.biosPending };
  }

  /** The BIOS attribute registry, or null for firmware that publishes none. */
  get biosRegistry(): BiosAttributeDefinition[] | null {
    return this.biosDefinitions === null ? null : [...this.biosDefinitions.values()].map((d) => ({ ...d }));
  }

  /** When pending BIOS settings were last applied (ms since epoch), if ever. */
  get biosAppliedAt(): number | null {
    return this.biosAppliedAtMs;
  }

  get firmware(): FirmwareComponent[] {
    this.settleJobs();
    return this.firmwareList.map((f) => ({ ...f }));
  }

  get lastBoot(): BootRecord | null {
    return this.lastBootRecord ? { ...this.lastBootRecord } : null;
  }

  get bootCount(): number {
    return this.boots;
  }

  get nmiCount(): number {
    return this.nmis;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** The most commands this machine ever had in progress at once. */
  get maxInFlight(): number {
    return this.maxInFlightCount;
  }

  get history(): CommandRecord[] {
    return this.commandHistory.map((c) => ({ ...c }));
  }

  /** What the machine did on its recent boots, oldest first. */
  get bootSteps(): BootStep[] {
    return this.bootStepList.map((s) => ({ ...s }));
  }

  get os(): OsView | null {
    return this.osView ? { ...this.osView, addresses: this.osView.addresses.map((a) => ({ ...a })) } : null;
  }

  get disk(): DiskContents | null {
    return this.diskContents ? { ...this.diskContents } : null;
  }

  /**
   * Listens for power transitions. The boot machinery (sim/host/boot) hangs
   * off this, so faces keep acting on plain state and a host nobody boots
   * costs nothing. Returns the function that stops listening.
   */
  onPower(listener: (event: PowerEvent) => void): () => void {
    this.powerListeners.add(listener);
    return () => this.powerListeners.delete(listener);
  }

  recordBootStep(step: Omit<BootStep, 'at' | 'boot'>): void {
    this.bootStepList.push({ at: this.now(), boot: this.boots, ...step });
    if (this.bootStepList.length > this.historyLimit) {
      this.bootStepList.splice(0, this.bootStepList.length - this.historyLimit);
    }
  }

  /** A token an agent of this machine was handed; the last historyLimit are kept. */
  recordAgentToken(token: string): void {
    this.agentTokenList.push(token);
    if (this.agentTokenList.length > this.historyLimit) this.agentTokenList.shift();
  }

  setOs(view: OsView | null): void {
    this.osView = view;
  }

  setDisk(contents: DiskContents | null): void {
    this.diskContents = contents;
  }

  get rescue(): RescueView | null {
    return this.rescueView ? { ...this.rescueView } : null;
  }

  /** The running ramdisk became a rescue environment whose rescue user has `password`. */
  enterRescue(password: string, hashed: boolean): void {
    this.rescueView = { enteredAt: this.now(), boot: this.boots, password, hashed, running: true };
  }

  /**
   * Marks the start of a command from any face. Returns the function that
   * marks its end; calling it twice counts once.
   */
  beginCommand(command: string): () => void {
    this.commandHistory.push({ at: this.now(), command });
    if (this.commandHistory.length > this.historyLimit) {
      this.commandHistory.splice(0, this.commandHistory.length - this.historyLimit);
    }
    this.inFlightCount += 1;
    this.maxInFlightCount = Math.max(this.maxInFlightCount, this.inFlightCount);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlightCount -= 1;
    };
  }

  powerAction(action: PowerAction, options: PowerActionOptions = {}): void {
    const bootFails = options.bootFails ?? false;
    switch (action) {
      case 'On':
      case 'ForceOn':
        if (this.powerState === 'Off') this.powerOn(bootFails);
        return;
      case 'ForceOff':
      case 'GracefulShutdown':
        this.powerOff();
        return;
      case 'GracefulRestart':
      case 'ForceRestart':
      case 'PowerCycle':
        // A restart of a machine that is off powers it on, as most BMCs do.
        this.powerOff();
        this.powerOn(bootFails);
        return;
      case 'PushPowerButton':
        if (this.powerState === 'On') this.powerOff();
        else this.powerOn(bootFails);
        return;
      case 'Nmi':
        // A diagnostic interrupt only reaches a running machine; the OS
        // (here, nobody) decides what to do with it.
        if (this.powerState === 'On') {
          this.nmis += 1;
        }
        return;
    }
  }

  setHealth(health: HealthState): void {
    this.hardwareHealth = health;
  }

  /** The power flips by itself, as a flaky PSU or a human at the console does. */
  drift(): void {
    if (this.powerState === 'On') this.powerOff();
    else this.powerOn(false);
  }

  setBootOverride(change: Partial<BootOverride>): void {
    this.bootOverride = { ...this.bootOverride, ...change };
  }

  /**
   * Attaches an image. `inserted: false` configures the image without
   * presenting it to the machine, as the Redfish Inserted flag allows.
   */
  insertMedia(image: string, options: { writeProtected?: boolean; inserted?: boolean } = {}): void {
    if (this.mediaSlot.image !== null) {
      throw new SimHostError('MediaInUse', `virtual media already holds ${this.mediaSlot.image}`);
    }
    this.mediaSlot = { image, inserted: options.inserted ?? true, writeProtected: options.writeProtected ?? true };
  }

  ejectMedia(): void {
    this.mediaSlot = { image: null, inserted: false, writeProtected: true };
  }

  /**
   * Stages BIOS changes; they take effect at the next power-on or reset, as
   * on real firmware. Unknown names and values of the wrong type are refused
   * whole, so a bad request changes nothing; with a registry, so are changes
   * to read-only attributes and values it does not allow.
   */
  setPendingBios(changes: Record<string, unknown>): void {
    const accepted: BiosAttributes = {};
    for (const [key, value] of Object.entries(changes)) {
      const current = this.biosDefaults[key];
      if (current === undefined) {
        throw new SimHostError('UnknownAttribute', `unknown BIOS attribute ${key}`, key);
      }
      if (!isBiosValue(value) || typeof value !== typeof current) {
        throw new SimHostError('InvalidAttributeValue', `BIOS attribute ${key} expects a ${typeof current}`, key);
      }
      const definition = this.biosDefinitions?.get(key);
      const problem = definition === undefined ? null : biosValueProblem(definition, value);
      if (definition !== undefined && problem !== null) {
        const reason = describeBiosProblem(definition, problem);
        throw new SimHostError(BIOS_PROBLEM_CODE[problem], `BIOS attribute ${key} ${reason}`, key);
      }
      accepted[key] = value;
    }
    this.biosPending = { ...this.biosPending, ...accepted };
  }

  /**
   * Starts a firmware update. The job finishes by the clock; the component's
   * version changes when someone next looks after that.
   */
  startFirmwareUpdate(plan: {
    imageUri: string;
    componentId: string | null;
    version: string | null;
    durationMs: number;
  }): FirmwareJob {
    if (plan.componentId !== null && !this.firmwareList.some((f) => f.id === plan.componentId)) {
      throw new SimHostError('UnknownComponent', `no firmware component ${plan.componentId}`, plan.componentId);
    }
    const job = new FirmwareJob(this.jobs.length + 1, plan, this.clock);
    this.jobs.push(job);
    return job;
  }

  get firmwareJobs(): FirmwareJob[] {
    this.settleJobs();
    return [...this.jobs];
  }

  firmwareJob(id: number): FirmwareJob | undefined {
    this.settleJobs();
    return this.jobs[id - 1];
  }

  snapshot(): SimHostSnapshot {
    return {
      name: this.name,
      uuid: this.uuid,
      vendor: this.vendor,
      model: this.model,
      serial: this.serial,
      power: this.power,
      health: this.health,
      boot: this.boot,
      media: this.media,
      bios: this.bios,
      pendingBios: this.pendingBios,
      firmware: this.firmware,
      nics: this.nics,
      disks: this.disks,
      volumes: this.storage.volumes,
      cpu: { ...this.cpu },
      memoryMiB: this.memoryMiB,
      lastBoot: this.lastBoot,
      bootCount: this.boots,
      nmiCount: this.nmis,
      inFlight: this.inFlightCount,
      maxInFlight: this.maxInFlightCount,
      history: this.history,
      bootSteps: this.bootSteps,
      agentTokens: [...this.agentTokenList],
      os: this.os,
      disk: this.disk,
      rescue: this.rescue,
    };
  }

  private powerOff(): void {
    if (this.powerState === 'Off') return;
    this.powerState = 'Off';
    if (this.osView) this.osView = { ...this.osView, running: false };
    if (this.rescueView) this.rescueView = { ...this.rescueView, running: false };
    this.emit({ kind: 'off' });
  }

  private powerOn(bootFails: boolean): void {
    this.powerState = 'On';
    this.applyPendingBios();
    const override = this.bootOverride;
    const overriding = override.enabled !== 'disabled' && override.target !== 'none';
    const device: BootRecord['device'] = overriding ? (override.target as Exclude<BootTarget, 'none'>) : 'hdd';
    const record: BootRecord = {
      at: this.now(),
      device,
      mode: override.mode,
      outcome: bootFails ? 'failed' : 'booted',
      ...(device === 'uefi-http' && override.httpBootUri !== undefined ? { httpBootUri: override.httpBootUri } : {}),
    };
    this.lastBootRecord = record;
    this.boots += 1;
    if (override.enabled === 'once') {
      // A one-time override is consumed by the boot that used it, its HTTP boot URI with it.
      this.bootOverride = { target: 'none', enabled: 'disabled', mode: override.mode };
    }
    this.emit({ kind: 'on', boot: { ...record } });
  }

  private emit(event: PowerEvent): void {
    for (const listener of this.powerListeners) listener(event);
  }

  private applyPendingBios(): void {
    if (Object.keys(this.biosPending).length === 0) return;
    this.biosCurrent = { ...this.biosCurrent, ...this.biosPending };
    this.biosPending = {};
    this.biosAppliedAtMs = this.clock();
  }

  private settleJobs(): void {
    for (const job of this.jobs) {
      if (job.applied || job.status().state !== 'Completed') continue;
      const component = this.firmwareList.find((f) => f.id === job.plan.componentId);
      if (component && job.plan.version !== null) component.version = job.plan.version;
      job.markApplied();
    }
  }

  private now(): string {
    return new Date(this.clock()).toISOString();
  }
}

function isBiosValue(value: unknown): value is BiosValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
