// The commands the simulated BMC answers, acting on an IpmiTarget
// (IPMI v2.0 chapters 20, 22 and 28).
import type { SimCipherSuite } from './crypto.js';
import type { SimSession } from './sessions.js';
import {
  IpmiTargetRefusal,
  type IpmiBootDevice,
  type IpmiBootFlags,
  type IpmiChassisAction,
  type IpmiTarget,
} from './target.js';
import type { LanRequest } from './wire.js';

export interface CommandResult {
  completionCode: number;
  data: Buffer;
}

export interface CommandContext {
  target: IpmiTarget;
  /** Undefined outside a session: only the session-setup commands are answered then. */
  session: SimSession | undefined;
  suites: readonly SimCipherSuite[];
  /** Boot option parameters kept as written: 0 (set in progress), 3 (valid bit clearing), 4 (boot info acknowledge). */
  bootParameters: Map<number, Buffer>;
  /** Fault hook: answer target commands with this completion code. */
  faultCompletionCode: number | undefined;
  closeSession(bmcSessionId: number): boolean;
}

const NETFN_CHASSIS = 0x00;
const NETFN_APP = 0x06;
const LAN_CHANNEL = 0x01;
const CURRENT_CHANNEL = 0x0e;

// Completion codes, Table 5-2 and the command tables.
const CC = {
  ok: 0x00,
  parameterNotSupported: 0x80,
  privilegeExceedsLimit: 0x81,
  invalidSessionId: 0x87,
  invalidCommand: 0xc1,
  requestLengthInvalid: 0xc7,
  invalidDataField: 0xcc,
  insufficientPrivilege: 0xd4,
  unspecified: 0xff,
} as const;

const USER = 2;
const OPERATOR = 3;
const ADMINISTRATOR = 4;

const ok = (data: number[] | Buffer = []): CommandResult => ({ completionCode: CC.ok, data: Buffer.from(data) });
const fail = (completionCode: number): CommandResult => ({ completionCode, data: Buffer.alloc(0) });

const CHASSIS_ACTIONS: ReadonlyMap<number, IpmiChassisAction> = new Map([
  [0x00, 'off'],
  [0x01, 'on'],
  [0x02, 'cycle'],
  [0x03, 'reset'],
  [0x04, 'diag'],
  [0x05, 'soft'],
]);

/** Boot flags data 2 bits 5:2 (Table 28-14), the devices a simulated host has. */
const BOOT_DEVICES: ReadonlyMap<number, IpmiBootDevice> = new Map([
  [0x0, 'none'],
  [0x1, 'pxe'],
  [0x2, 'disk'],
  [0x5, 'cdrom'],
  [0x6, 'bios'],
]);

/** Lengths of the boot option parameters kept verbatim. */
const STORED_BOOT_PARAMETER_LENGTH: ReadonlyMap<number, number> = new Map([
  [0, 1],
  [3, 1],
  [4, 2],
]);
const BOOT_FLAGS = 5;

/** Commands answered outside a session (a console needs them before it can open one). */
export function isPresessionCommand(netFn: number, cmd: number): boolean {
  return netFn === NETFN_APP && (cmd === 0x38 || cmd === 0x54);
}

export async function dispatch(request: LanRequest, ctx: CommandContext): Promise<CommandResult> {
  const { netFn, cmd, data } = request;
  if (netFn === NETFN_APP && cmd === 0x38) return channelAuthCapabilities(data);
  if (netFn === NETFN_APP && cmd === 0x54) return channelCipherSuites(data, ctx.suites);
  const session = ctx.session;
  if (session === undefined) return fail(CC.insufficientPrivilege);
  if (netFn === NETFN_APP && cmd === 0x3b) return setSessionPrivilege(data, session);
  if (netFn === NETFN_APP && cmd === 0x3c) return closeSession(data, ctx);

  const handler = TARGET_COMMANDS.get((netFn << 8) | cmd);
  if (handler === undefined) return fail(CC.invalidCommand);
  if (session.privilege < handler.privilege) return fail(CC.insufficientPrivilege);
  if (ctx.faultCompletionCode !== undefined) return fail(ctx.faultCompletionCode);
  try {
    return await handler.run(data, ctx);
  } catch (error) {
    return fail(error instanceof IpmiTargetRefusal ? error.completionCode : CC.unspecified);
  }
}

interface TargetCommand {
  privilege: number;
  run(data: Buffer, ctx: CommandContext): Promise<CommandResult> | CommandResult;
}

const TARGET_COMMANDS: ReadonlyMap<number, TargetCommand> = new Map([
  [(NETFN_APP << 8) | 0x01, { privilege: USER, run: (_data: Buffer, ctx: CommandContext) => deviceId(ctx.target) }],
  [
    (NETFN_CHASSIS << 8) | 0x01,
    { privilege: USER, run: (_data: Buffer, ctx: CommandContext) => chassisStatus(ctx.target) },
  ],
  [(NETFN_CHASSIS << 8) | 0x02, { privilege: OPERATOR, run: chassisControl }],
  [(NETFN_CHASSIS << 8) | 0x08, { privilege: OPERATOR, run: setBootOption }],
  [(NETFN_CHASSIS << 8) | 0x09, { privilege: USER, run: getBootOption }],
]);

/** Get Channel Authentication Capabilities (Table 22-15): RMCP+ only, user names required. */
function channelAuthCapabilities(data: Buffer): CommandResult {
  if (data.length < 2) return fail(CC.requestLengthInvalid);
  const channel = data.readUInt8(0) & 0x0f;
  if (channel !== CURRENT_CHANNEL && channel !== LAN_CHANNEL) return fail(CC.invalidDataField);
  const wantsV20 = (data.readUInt8(0) & 0x80) !== 0;
  // No IPMI 1.5 authentication types are offered, so a 1.5-only console finds nothing to use.
  return ok([LAN_CHANNEL, wantsV20 ? 0x80 : 0x00, 0x04, wantsV20 ? 0x02 : 0x00, 0, 0, 0, 0]);
}

/** Get Channel Cipher Suites (Tables 22-18 to 22-20), 16 bytes of records per list index. */
function channelCipherSuites(data: Buffer, suites: readonly SimCipherSuite[]): CommandResult {
  if (data.length < 3) return fail(CC.requestLengthInvalid);
  const listIndex = data.readUInt8(2) & 0x3f;
  const bySuite = (data.readUInt8(2) & 0x80) !== 0;
  const records = bySuite
    ? suites.flatMap((s) => [0xc0, s.id, s.authentication, 0x40 | s.integrity, 0x80 | s.confidentiality])
    : [...new Set(suites.flatMap((s) => [s.authentication, 0x40 | s.integrity, 0x80 | s.confidentiality]))];
  return ok([LAN_CHANNEL, ...records.slice(listIndex * 16, listIndex * 16 + 16)]);
}

/** Set Session Privilege Level (section 22.18): 0 reads the current level. */
function setSessionPrivilege(data: Buffer, session: SimSession): CommandResult {
  if (data.length < 1) return fail(CC.requestLengthInvalid);
  const requested = data.readUInt8(0) & 0x0f;
  if (requested === 0) return ok([session.privilege]);
  if (requested > ADMINISTRATOR) return fail(CC.invalidDataField);
  if (requested > session.maxPrivilege) return fail(CC.privilegeExceedsLimit);
  session.privilege = requested;
  return ok([requested]);
}

function closeSession(data: Buffer, ctx: CommandContext): CommandResult {
  if (data.length < 4) return fail(CC.requestLengthInvalid);
  return ctx.closeSession(data.readUInt32LE(0)) ? ok() : fail(CC.invalidSessionId);
}

function deviceId(target: IpmiTarget): CommandResult {
  const id = target.deviceIdentity;
  const minor = Math.min(99, Math.max(0, id.firmwareMinor));
  const bcdMinor = (Math.floor(minor / 10) << 4) | (minor % 10);
  const data = Buffer.alloc(11);
  data.writeUInt8(id.deviceId & 0xff, 0);
  data.writeUInt8(id.deviceRevision & 0x0f, 1);
  data.writeUInt8(id.firmwareMajor & 0x7f, 2);
  data.writeUInt8(bcdMinor, 3);
  data.writeUInt8(0x02, 4); // IPMI version 2.0
  data.writeUInt8(0x01, 5); // additional device support: sensor device
  data.writeUIntLE(id.manufacturerId & 0x0fffff, 6, 3);
  data.writeUInt16LE(id.productId & 0xffff, 9);
  return ok(data);
}

/** Get Chassis Status (Table 28-3): power restore policy "previous". */
async function chassisStatus(target: IpmiTarget): Promise<CommandResult> {
  const on = (await target.getPower()) === 'on';
  return ok([(on ? 0x01 : 0x00) | (0x01 << 5), 0x00, 0x00]);
}

async function chassisControl(data: Buffer, ctx: CommandContext): Promise<CommandResult> {
  if (data.length < 1) return fail(CC.requestLengthInvalid);
  const action = CHASSIS_ACTIONS.get(data.readUInt8(0) & 0x0f);
  if (action === undefined) return fail(CC.invalidDataField);
  await ctx.target.chassisControl(action);
  return ok();
}

function encodeBootFlags(flags: IpmiBootFlags): number[] {
  let selector = 0;
  for (const [value, device] of BOOT_DEVICES) if (device === flags.device) selector = value;
  return [
    (flags.valid ? 0x80 : 0) | (flags.persistent ? 0x40 : 0) | (flags.mode === 'efi' ? 0x20 : 0),
    selector << 2,
    0,
    0,
    0,
  ];
}

async function setBootOption(data: Buffer, ctx: CommandContext): Promise<CommandResult> {
  if (data.length < 1) return fail(CC.requestLengthInvalid);
  const parameter = data.readUInt8(0) & 0x7f;
  const value = data.subarray(1);
  if (parameter === BOOT_FLAGS) {
    if (value.length !== 5) return fail(CC.requestLengthInvalid);
    const device = BOOT_DEVICES.get((value.readUInt8(1) >> 2) & 0x0f);
    if (device === undefined) return fail(CC.invalidDataField);
    const data1 = value.readUInt8(0);
    await ctx.target.setBootFlags({
      valid: (data1 & 0x80) !== 0,
      persistent: (data1 & 0x40) !== 0,
      mode: (data1 & 0x20) !== 0 ? 'efi' : 'legacy',
      device,
    });
    return ok();
  }
  const length = STORED_BOOT_PARAMETER_LENGTH.get(parameter);
  if (length === undefined) return fail(CC.parameterNotSupported);
  if (value.length !== length) return fail(CC.requestLengthInvalid);
  ctx.bootParameters.set(parameter, Buffer.from(value));
  return ok();
}

/** Get System Boot Options (Table 28-13): parameter version 1, then the parameter. */
async function getBootOption(data: Buffer, ctx: CommandContext): Promise<CommandResult> {
  if (data.length < 3) return fail(CC.requestLengthInvalid);
  const parameter = data.readUInt8(0) & 0x7f;
  if (parameter === BOOT_FLAGS) return ok([0x01, BOOT_FLAGS, ...encodeBootFlags(await ctx.target.getBootFlags())]);
  const length = STORED_BOOT_PARAMETER_LENGTH.get(parameter);
  if (length === undefined) return fail(CC.parameterNotSupported);
  return ok([0x01, parameter, ...(ctx.bootParameters.get(parameter) ?? Buffer.alloc(length))]);
}
