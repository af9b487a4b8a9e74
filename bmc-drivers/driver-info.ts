// A node's `driver` and `driver_info`, as Ironic names them, read into a
// typed connection; and a Metal3 BMC address turned into the same. Pure.
// Values are never echoed in errors: a password typed into the wrong key
// would otherwise end up in an API answer or a log line.
import { hostPort, IPMI_PORT, parseBmcAddress, SYSTEM_PATH, type BmcAddress, type BootMethod } from './address.js';
import type { HardwareType } from './driver.js';
import { InvalidDriverInfo } from './errors.js';
import type { IpmiPrivilege } from './ipmi/index.js';

export type RedfishAuthType = 'auto' | 'session' | 'basic';

/** Ironic's redfish_verify_ca: verify against the system CAs, not at all, or against a CA bundle file. */
export type TlsVerification = { kind: 'system' } | { kind: 'off' } | { kind: 'ca-file'; path: string };

export interface RedfishConnection {
  protocol: 'redfish';
  hardwareType: 'redfish' | 'idrac';
  scheme: 'http' | 'https';
  host: string;
  port: number;
  systemPath: string | null;
  username: string;
  password: string;
  verify: TlsVerification;
  authType: RedfishAuthType;
}

export type IpmiCipherSuite = 3 | 17;

export interface IpmiConnection {
  protocol: 'ipmi';
  hardwareType: 'ipmi';
  host: string;
  port: number;
  username: string;
  password: string;
  privilege: IpmiPrivilege;
  cipherSuite: IpmiCipherSuite;
}

export type BmcConnection = RedfishConnection | IpmiConnection;

export const HARDWARE_TYPES: readonly HardwareType[] = ['redfish', 'idrac', 'ipmi'];

/** IPMI v2.0 limits (section 13.31 and Table 13-11): longer ones cannot be sent at all. */
const IPMI_MAX_PASSWORD_BYTES = 20;
const IPMI_MAX_USERNAME_BYTES = 16;

const PRIVILEGES: Readonly<Record<string, IpmiPrivilege>> = {
  ADMINISTRATOR: 'administrator',
  OPERATOR: 'operator',
  USER: 'user',
  CALLBACK: 'callback',
};

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on', 'y', 't']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off', 'n', 'f']);

/** Reads a node's `driver` and `driver_info` into what a driver needs to connect. */
export function parseDriverInfo(driver: string, info: Readonly<Record<string, unknown>>): BmcConnection {
  if (driver === 'redfish' || driver === 'idrac') return redfishConnection(driver, info);
  if (driver === 'ipmi') return ipmiConnection(info);
  throw new InvalidDriverInfo('driver', `must be one of ${HARDWARE_TYPES.join(', ')}`);
}

function redfishConnection(
  hardwareType: 'redfish' | 'idrac',
  info: Readonly<Record<string, unknown>>,
): RedfishConnection {
  const address = requiredString(info, 'redfish_address');
  // Ironic: "It must include the authority portion of the URL, and can
  // optionally include the scheme. If the scheme is missing, https is assumed."
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(address)?.[1]?.toLowerCase() ?? 'https';
  if (scheme !== 'http' && scheme !== 'https')
    throw new InvalidDriverInfo('redfish_address', 'must be an http or https URL');
  let url: URL;
  try {
    url = new URL(address.includes('://') ? address : `https://${address}`);
  } catch {
    throw new InvalidDriverInfo('redfish_address', 'is not a valid URL');
  }
  if (url.username !== '' || url.password !== '')
    throw new InvalidDriverInfo('redfish_address', 'must not carry credentials');
  if (url.pathname.replace(/\/+$/, '') !== '' || url.search !== '' || url.hash !== '') {
    throw new InvalidDriverInfo(
      'redfish_address',
      'must be scheme, host and port only; the system goes in redfish_system_id',
    );
  }
  const systemId = optionalString(info, 'redfish_system_id');
  const systemPath = systemId === undefined ? null : systemId.replace(/\/+$/, '');
  if (systemPath !== null && !SYSTEM_PATH.test(systemPath))
    throw new InvalidDriverInfo('redfish_system_id', 'must be /redfish/v1/Systems/<id>');
  return {
    protocol: 'redfish',
    hardwareType,
    scheme,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase(),
    port: url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port),
    systemPath,
    username: requiredString(info, 'redfish_username'),
    password: requiredString(info, 'redfish_password'),
    verify: verification(info.redfish_verify_ca),
    authType: authType(info.redfish_auth_type),
  };
}

function verification(value: unknown): TlsVerification {
  if (value === undefined || value === null || value === true) return { kind: 'system' };
  if (value === false) return { kind: 'off' };
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidDriverInfo('redfish_verify_ca', 'must be a boolean or the path of a CA bundle');
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return { kind: 'system' };
  if (FALSE_WORDS.has(word)) return { kind: 'off' };
  return { kind: 'ca-file', path: value.trim() };
}

function authType(value: unknown): RedfishAuthType {
  if (value === undefined || value === null) return 'auto';
  if (value === 'auto' || value === 'session' || value === 'basic') return value;
  throw new InvalidDriverInfo('redfish_auth_type', 'must be auto, session or basic');
}

function ipmiConnection(info: Readonly<Record<string, unknown>>): IpmiConnection {
  const host = requiredString(info, 'ipmi_address')
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  if (/[\s/@]/.test(host) || host.includes('://'))
    throw new InvalidDriverInfo('ipmi_address', 'must be a host name or IP address');
  const username = requiredString(info, 'ipmi_username');
  if (Buffer.byteLength(username, 'utf8') > IPMI_MAX_USERNAME_BYTES)
    throw new InvalidDriverInfo('ipmi_username', `must be at most ${IPMI_MAX_USERNAME_BYTES} bytes`);
  const password = requiredString(info, 'ipmi_password');
  if (Buffer.byteLength(password, 'utf8') > IPMI_MAX_PASSWORD_BYTES)
    throw new InvalidDriverInfo('ipmi_password', `must be at most ${IPMI_MAX_PASSWORD_BYTES} bytes`);
  return {
    protocol: 'ipmi',
    hardwareType: 'ipmi',
    host,
    port: info.ipmi_port === undefined || info.ipmi_port === null ? IPMI_PORT : integer(info, 'ipmi_port', 1, 65535),
    username,
    password,
    privilege: privilege(info.ipmi_priv_level),
    cipherSuite: cipherSuite(info),
  };
}

function privilege(value: unknown): IpmiPrivilege {
  if (value === undefined || value === null) return 'administrator';
  const found = typeof value === 'string' ? PRIVILEGES[value.toUpperCase()] : undefined;
  if (found === undefined)
    throw new InvalidDriverInfo('ipmi_priv_level', `must be one of ${Object.keys(PRIVILEGES).join(', ')}`);
  return found;
}

function cipherSuite(info: Readonly<Record<string, unknown>>): IpmiCipherSuite {
  if (info.ipmi_cipher_suite === undefined || info.ipmi_cipher_suite === null) return 3;
  const suite = integer(info, 'ipmi_cipher_suite', 0, 255);
  if (suite !== 3 && suite !== 17) throw new InvalidDriverInfo('ipmi_cipher_suite', 'must be 3 or 17');
  return suite;
}

function requiredString(info: Readonly<Record<string, unknown>>, key: string): string {
  const value = optionalString(info, key);
  if (value === undefined) throw new InvalidDriverInfo(key, 'is required');
  return value;
}

function optionalString(info: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = info[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidDriverInfo(key, 'must be a string');
  if (value.trim() === '') throw new InvalidDriverInfo(key, 'must not be empty');
  // Passwords keep their spaces; everything else is a name or an address.
  return key.endsWith('_password') ? value : value.trim();
}

/** The API stores what it was sent, so `"623"` is as good as `623`. */
function integer(info: Readonly<Record<string, unknown>>, key: string, min: number, max: number): number {
  const value = info[key];
  const number =
    typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(number) || number < min || number > max)
    throw new InvalidDriverInfo(key, `must be an integer ${min}..${max}`);
  return number;
}

/** The `driver_info` keys to send to Anvil for a BMC address, as Metal3 builds them. */
export interface Enrollment {
  driver: HardwareType;
  driverInfo: Record<string, string | number | boolean>;
  /** The node's boot_interface the address asks for. */
  bootInterface: 'ipxe' | 'redfish-virtual-media' | 'redfish-https';
}

export interface BmcCredentials {
  username: string;
  password: string;
}

const BOOT_INTERFACE_OF: Readonly<Record<BootMethod, Enrollment['bootInterface']>> = {
  ipxe: 'ipxe',
  'virtual-media': 'redfish-virtual-media',
  'uefi-http': 'redfish-https',
};

/** Metal3's translation of a BareMetalHost `bmc` block into an Ironic node's driver fields. */
export function enrollmentFromAddress(
  address: string,
  credentials: BmcCredentials,
  options: { disableCertificateVerification?: boolean } = {},
): Enrollment {
  const parsed: BmcAddress = parseBmcAddress(address);
  const bootInterface = BOOT_INTERFACE_OF[parsed.bootMethod];
  if (parsed.protocol === 'ipmi') {
    return {
      driver: 'ipmi',
      driverInfo: {
        ipmi_address: parsed.host,
        ipmi_port: parsed.port,
        ipmi_username: credentials.username,
        ipmi_password: credentials.password,
      },
      bootInterface,
    };
  }
  return {
    driver: parsed.vendor === 'idrac' ? 'idrac' : 'redfish',
    driverInfo: {
      redfish_address: `${parsed.scheme ?? 'https'}://${hostPort(parsed.host, parsed.port)}`,
      ...(parsed.systemPath === null ? {} : { redfish_system_id: parsed.systemPath }),
      redfish_username: credentials.username,
      redfish_password: credentials.password,
      redfish_verify_ca: options.disableCertificateVerification !== true,
    },
    bootInterface,
  };
}

/** The one-call-at-a-time key: one BMC endpoint, and on a multi-system Redfish service one system. */
export function bmcKey(connection: BmcConnection): string {
  const endpoint = hostPort(connection.host, connection.port);
  return connection.protocol === 'redfish' && connection.systemPath !== null
    ? `${endpoint}${connection.systemPath}`
    : endpoint;
}
