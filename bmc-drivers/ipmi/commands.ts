// The IPMI commands Anvil sends: request data encoders and response decoders
// (IPMI v2.0 chapters 20, 22 and 28). Decoders receive the response data
// after the completion code.
import { ByteReader } from './byte-reader.js';
import { IpmiProtocolError } from './errors.js';
import { NetFn } from './message.js';
import { PRIVILEGE_LEVEL, privilegeFromLevel, type IpmiPrivilege } from './privilege.js';

export interface IpmiCommand<T> {
  /** Spec name of the command, used in errors and logs. */
  readonly name: string;
  readonly netFn: number;
  readonly cmd: number;
  readonly data: Buffer;
  decode(data: Buffer): T;
}

const noResponseData = (): void => undefined;

function bcd(byte: number): number {
  return (byte >> 4) * 10 + (byte & 0x0f);
}

// --- Get Device ID (App 01h, section 20.1, Table 20-2) ---

export interface DeviceId {
  deviceId: number;
  deviceRevision: number;
  providesDeviceSdrs: boolean;
  firmwareMajor: number;
  firmwareMinor: number;
  /** "2.0" for IPMI v2.0 (BCD, minor digit in the high nibble). */
  ipmiVersion: string;
  additionalDeviceSupport: number;
  manufacturerId: number;
  productId: number;
  auxFirmwareRevision: Buffer | undefined;
}

export function getDeviceId(): IpmiCommand<DeviceId> {
  return {
    name: 'Get Device ID',
    netFn: NetFn.app,
    cmd: 0x01,
    data: Buffer.alloc(0),
    decode(data) {
      const r = new ByteReader(data, 'Get Device ID response');
      const deviceId = r.u8();
      const revision = r.u8();
      const fw1 = r.u8();
      const fw2 = r.u8();
      const version = r.u8();
      const additionalDeviceSupport = r.u8();
      const manufacturerId = r.bytes(3).readUIntLE(0, 3) & 0x0fffff;
      const productId = r.u16le();
      return {
        deviceId,
        deviceRevision: revision & 0x0f,
        providesDeviceSdrs: (revision & 0x80) !== 0,
        firmwareMajor: fw1 & 0x7f,
        firmwareMinor: bcd(fw2),
        ipmiVersion: `${version & 0x0f}.${version >> 4}`,
        additionalDeviceSupport,
        manufacturerId,
        productId,
        auxFirmwareRevision: r.remaining >= 4 ? r.bytes(4) : undefined,
      };
    },
  };
}

// --- Get Chassis Status (Chassis 01h, section 28.2, Table 28-3) ---

export type PowerRestorePolicy = 'always-off' | 'previous' | 'always-on' | 'unknown';

export interface ChassisStatus {
  powerOn: boolean;
  powerOverload: boolean;
  powerInterlock: boolean;
  mainPowerFault: boolean;
  powerControlFault: boolean;
  restorePolicy: PowerRestorePolicy;
  lastPowerEvent: number;
  miscChassisState: number;
}

const RESTORE_POLICIES: readonly PowerRestorePolicy[] = ['always-off', 'previous', 'always-on', 'unknown'];

export function getChassisStatus(): IpmiCommand<ChassisStatus> {
  return {
    name: 'Get Chassis Status',
    netFn: NetFn.chassis,
    cmd: 0x01,
    data: Buffer.alloc(0),
    decode(data) {
      const r = new ByteReader(data, 'Get Chassis Status response');
      const power = r.u8();
      const lastPowerEvent = r.u8();
      const miscChassisState = r.u8();
      return {
        powerOn: (power & 0x01) !== 0,
        powerOverload: (power & 0x02) !== 0,
        powerInterlock: (power & 0x04) !== 0,
        mainPowerFault: (power & 0x08) !== 0,
        powerControlFault: (power & 0x10) !== 0,
        restorePolicy: RESTORE_POLICIES[(power >> 5) & 0x03] ?? 'unknown',
        lastPowerEvent,
        miscChassisState,
      };
    },
  };
}

// --- Chassis Control (Chassis 02h, section 28.3, Table 28-4) ---

export type ChassisControlAction = 'off' | 'on' | 'cycle' | 'reset' | 'diagnostic-interrupt' | 'soft-off';

const CHASSIS_CONTROL_CODE: Readonly<Record<ChassisControlAction, number>> = {
  off: 0x00,
  on: 0x01,
  cycle: 0x02,
  reset: 0x03,
  'diagnostic-interrupt': 0x04,
  'soft-off': 0x05,
};

export function chassisControl(action: ChassisControlAction): IpmiCommand<void> {
  return {
    name: `Chassis Control (${action})`,
    netFn: NetFn.chassis,
    cmd: 0x02,
    data: Buffer.from([CHASSIS_CONTROL_CODE[action]]),
    decode: noResponseData,
  };
}

// --- System Boot Options (Chassis 08h/09h, sections 28.12-28.13, Table 28-14) ---

export type IpmiBootDevice =
  | 'none'
  | 'pxe'
  | 'disk'
  | 'disk-safe-mode'
  | 'diagnostic'
  | 'cdrom'
  | 'bios'
  | 'remote-floppy'
  | 'remote-cdrom'
  | 'remote-primary-media'
  | 'remote-disk'
  | 'floppy';

/** Boot flags data 2, bits 5:2: the boot device selector. */
const BOOT_DEVICE_SELECTOR: Readonly<Record<IpmiBootDevice, number>> = {
  none: 0x0,
  pxe: 0x1,
  disk: 0x2,
  'disk-safe-mode': 0x3,
  diagnostic: 0x4,
  cdrom: 0x5,
  bios: 0x6,
  'remote-floppy': 0x7,
  'remote-cdrom': 0x8,
  'remote-primary-media': 0x9,
  'remote-disk': 0xb,
  floppy: 0xf,
};

export type IpmiBootMode = 'legacy' | 'efi';

export interface BootFlags {
  /** Boot flag valid bit: the BMC applies the override at the next boot. */
  valid: boolean;
  /** All future boots (true) or the next one only (false). */
  persistent: boolean;
  mode: IpmiBootMode;
  device: IpmiBootDevice;
}

const BOOT_PARAM_VALID_BIT_CLEARING = 3;
const BOOT_PARAM_BOOT_FLAGS = 5;

/** Encodes the 5 data bytes of boot option parameter 5. */
export function encodeBootFlags(flags: BootFlags): Buffer {
  return Buffer.from([
    (flags.valid ? 0x80 : 0) | (flags.persistent ? 0x40 : 0) | (flags.mode === 'efi' ? 0x20 : 0),
    BOOT_DEVICE_SELECTOR[flags.device] << 2,
    0x00,
    0x00,
    0x00,
  ]);
}

export function decodeBootFlags(data: Buffer): BootFlags {
  const r = new ByteReader(data, 'boot flags');
  const data1 = r.u8();
  const selector = (r.u8() >> 2) & 0x0f;
  const device = (Object.keys(BOOT_DEVICE_SELECTOR) as IpmiBootDevice[]).find(
    (name) => BOOT_DEVICE_SELECTOR[name] === selector,
  );
  if (device === undefined) throw new IpmiProtocolError(`reserved boot device selector 0x${selector.toString(16)}`);
  return {
    valid: (data1 & 0x80) !== 0,
    persistent: (data1 & 0x40) !== 0,
    mode: (data1 & 0x20) !== 0 ? 'efi' : 'legacy',
    device,
  };
}

function setSystemBootOption(parameter: number, value: Buffer, what: string): IpmiCommand<void> {
  return {
    name: `Set System Boot Options (${what})`,
    netFn: NetFn.chassis,
    cmd: 0x08,
    // Bit 7 of the selector clear: mark the parameter valid / unlocked.
    data: Buffer.concat([Buffer.from([parameter & 0x7f]), value]),
    decode: noResponseData,
  };
}

export function setBootFlags(flags: BootFlags): IpmiCommand<void> {
  return setSystemBootOption(BOOT_PARAM_BOOT_FLAGS, encodeBootFlags(flags), 'boot flags');
}

/**
 * Parameter 3, bit 3: do not clear the boot flag valid bit 60 s after it was
 * set. Without it a BMC forgets the override if the host takes longer than a
 * minute to reach its next boot (section 28.12, "BMC boot flag valid bit clearing").
 */
export function keepBootFlagsPastTimeout(): IpmiCommand<void> {
  return setSystemBootOption(BOOT_PARAM_VALID_BIT_CLEARING, Buffer.from([0x08]), 'keep boot flags past timeout');
}

export function getBootFlags(): IpmiCommand<BootFlags> {
  return {
    name: 'Get System Boot Options (boot flags)',
    netFn: NetFn.chassis,
    cmd: 0x09,
    data: Buffer.from([BOOT_PARAM_BOOT_FLAGS, 0x00, 0x00]), // parameter, set selector, block selector
    decode(data) {
      const r = new ByteReader(data, 'Get System Boot Options response');
      r.u8(); // parameter version
      const parameter = r.u8() & 0x7f;
      if (parameter !== BOOT_PARAM_BOOT_FLAGS) {
        throw new IpmiProtocolError(`asked for boot option parameter 5, got ${parameter}`);
      }
      return decodeBootFlags(r.rest());
    },
  };
}

// --- Get Channel Authentication Capabilities (App 38h, section 22.13, Table 22-15) ---

export interface ChannelAuthCapabilities {
  channel: number;
  /** Byte 2 bit 7: the BMC filled the IPMI v2.0 extended capabilities byte. */
  extendedCapabilities: boolean;
  /** IPMI 1.5 authentication types: bit 0 none, 1 MD2, 2 MD5, 4 straight password, 5 OEM. */
  authTypes: number;
  kgNonZero: boolean;
  perMessageAuthDisabled: boolean;
  userLevelAuthDisabled: boolean;
  nonNullUsernames: boolean;
  nullUsernames: boolean;
  anonymousLogin: boolean;
  supportsIpmi15: boolean;
  supportsIpmi20: boolean;
  oemId: number;
  oemAux: number;
}

/** Channel 0Eh: "this channel", the one the request came in on. */
export const CURRENT_CHANNEL = 0x0e;

export function getChannelAuthCapabilities(privilege: IpmiPrivilege): IpmiCommand<ChannelAuthCapabilities> {
  return {
    name: 'Get Channel Authentication Capabilities',
    netFn: NetFn.app,
    cmd: 0x38,
    // Bit 7 of the channel byte asks for the IPMI v2.0 extended data.
    data: Buffer.from([0x80 | CURRENT_CHANNEL, PRIVILEGE_LEVEL[privilege]]),
    decode(data) {
      const r = new ByteReader(data, 'Get Channel Authentication Capabilities response');
      const channel = r.u8();
      const types = r.u8();
      const status = r.u8();
      const extended = r.u8();
      const oemId = r.bytes(3).readUIntLE(0, 3);
      const oemAux = r.u8();
      const extendedCapabilities = (types & 0x80) !== 0;
      return {
        channel,
        extendedCapabilities,
        authTypes: types & 0x3f,
        kgNonZero: (status & 0x20) !== 0,
        perMessageAuthDisabled: (status & 0x10) !== 0,
        userLevelAuthDisabled: (status & 0x08) !== 0,
        nonNullUsernames: (status & 0x04) !== 0,
        nullUsernames: (status & 0x02) !== 0,
        anonymousLogin: (status & 0x01) !== 0,
        // Without the extended byte the BMC speaks IPMI 1.5 only.
        supportsIpmi15: extendedCapabilities ? (extended & 0x01) !== 0 : true,
        supportsIpmi20: extendedCapabilities && (extended & 0x02) !== 0,
        oemId,
        oemAux,
      };
    },
  };
}

// --- Get Channel Cipher Suites (App 54h, section 22.15, Tables 22-18 to 22-20) ---

export interface CipherSuitesPage {
  channel: number;
  /** Up to 16 bytes of the cipher suite record list; fewer marks the last page. */
  records: Buffer;
}

/** One page (list index 0..63) of the channel's cipher suite records, listed by suite. */
export function getChannelCipherSuites(listIndex: number): IpmiCommand<CipherSuitesPage> {
  return {
    name: 'Get Channel Cipher Suites',
    netFn: NetFn.app,
    cmd: 0x54,
    data: Buffer.from([CURRENT_CHANNEL, 0x00, 0x80 | (listIndex & 0x3f)]), // payload type 0 = IPMI
    decode(data) {
      const r = new ByteReader(data, 'Get Channel Cipher Suites response');
      const channel = r.u8();
      const records = r.rest();
      if (records.length > 16) throw new IpmiProtocolError(`cipher suite page of ${records.length} bytes exceeds 16`);
      return { channel, records };
    },
  };
}

export interface CipherSuiteRecord {
  id: number;
  /** IANA enterprise number of an OEM suite (record start C1h). */
  oemIana: number | undefined;
  authentication: number[];
  integrity: number[];
  confidentiality: number[];
}

/** Decodes the concatenated pages: records start with C0h (standard) or C1h (OEM). */
export function decodeCipherSuiteRecords(list: Buffer): CipherSuiteRecord[] {
  const r = new ByteReader(list, 'cipher suite records');
  const suites: CipherSuiteRecord[] = [];
  let current: CipherSuiteRecord | undefined;
  while (r.remaining > 0) {
    const byte = r.u8();
    const tag = byte >> 6;
    if (byte === 0xc0 || byte === 0xc1) {
      const id = r.u8();
      const oemIana = byte === 0xc1 ? r.bytes(3).readUIntLE(0, 3) : undefined;
      current = { id, oemIana, authentication: [], integrity: [], confidentiality: [] };
      suites.push(current);
    } else if (current === undefined || tag === 0b11) {
      throw new IpmiProtocolError(`cipher suite record byte 0x${byte.toString(16)} out of place`);
    } else if (tag === 0b00) {
      current.authentication.push(byte & 0x3f);
    } else if (tag === 0b01) {
      current.integrity.push(byte & 0x3f);
    } else {
      current.confidentiality.push(byte & 0x3f);
    }
  }
  return suites;
}

// --- Session commands (App 3Bh and 3Ch, sections 22.18 and 22.19) ---

export function setSessionPrivilegeLevel(privilege: IpmiPrivilege): IpmiCommand<IpmiPrivilege | 'oem'> {
  return {
    name: 'Set Session Privilege Level',
    netFn: NetFn.app,
    cmd: 0x3b,
    data: Buffer.from([PRIVILEGE_LEVEL[privilege]]),
    decode(data) {
      const level = new ByteReader(data, 'Set Session Privilege Level response').u8() & 0x0f;
      const granted = privilegeFromLevel(level);
      if (granted === undefined) throw new IpmiProtocolError(`BMC granted unknown privilege level ${level}`);
      return granted;
    },
  };
}

export function closeSession(bmcSessionId: number): IpmiCommand<void> {
  const data = Buffer.alloc(4);
  data.writeUInt32LE(bmcSessionId >>> 0, 0);
  return { name: 'Close Session', netFn: NetFn.app, cmd: 0x3c, data, decode: noResponseData };
}
