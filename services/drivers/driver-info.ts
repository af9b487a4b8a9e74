import type { JsonObject } from '../nodes/model.js';

/** Thrown with a message that names the offending driver_info or instance_info key. */
export class InvalidDriverInfo extends Error {
  override readonly name = 'InvalidDriverInfo';
}

export interface RedfishDriverInfo {
  address: URL;
  systemId: string | null;
  username: string | null;
  password: string | null;
  verifyCa: boolean | string;
  authType: 'basic' | 'session' | 'auto';
}

export interface IpmiDriverInfo {
  address: string;
  port: number;
  username: string | null;
  password: string | null;
  privLevel: 'ADMINISTRATOR' | 'OPERATOR' | 'USER' | 'CALLBACK';
  cipherSuite: 3 | 17;
}

export function missing(kind: 'driver_info' | 'instance_info', keys: string[]): InvalidDriverInfo {
  return new InvalidDriverInfo(
    `Some parameters were missing in node's ${kind}. Missing are: [${keys.map((k) => `'${k}'`).join(', ')}]`,
  );
}

function optionalString(info: JsonObject, key: string): string | null {
  const v = info[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new InvalidDriverInfo(`driver_info/${key} must be a string`);
  return v;
}

function asBoolean(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|yes|1|on)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(false|no|0|off)$/i.test(v)) return false;
  return null;
}

export function parseRedfishDriverInfo(info: JsonObject): RedfishDriverInfo {
  const raw = info.redfish_address;
  if (raw === undefined || raw === null || raw === '') throw missing('driver_info', ['redfish_address']);
  if (typeof raw !== 'string') throw new InvalidDriverInfo('driver_info/redfish_address must be a string');
  // A bare host means HTTPS, as in Ironic.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let address: URL;
  try {
    address = new URL(withScheme);
  } catch {
    throw new InvalidDriverInfo(`Invalid Redfish address ${raw} set in driver_info/redfish_address on node`);
  }
  if (address.protocol !== 'http:' && address.protocol !== 'https:') {
    throw new InvalidDriverInfo(`Invalid Redfish address ${raw}: the scheme must be http or https`);
  }
  const systemId = optionalString(info, 'redfish_system_id');
  if (systemId !== null && !systemId.startsWith('/')) {
    throw new InvalidDriverInfo(`driver_info/redfish_system_id must be a path such as /redfish/v1/Systems/1, got ${systemId}`);
  }
  let verifyCa: boolean | string = true;
  if (info.redfish_verify_ca !== undefined && info.redfish_verify_ca !== null) {
    const b = asBoolean(info.redfish_verify_ca);
    if (b !== null) verifyCa = b;
    else if (typeof info.redfish_verify_ca === 'string' && info.redfish_verify_ca !== '') verifyCa = info.redfish_verify_ca;
    else throw new InvalidDriverInfo('driver_info/redfish_verify_ca must be a boolean or the path of a CA bundle');
  }
  const authType = optionalString(info, 'redfish_auth_type') ?? 'auto';
  if (authType !== 'basic' && authType !== 'session' && authType !== 'auto') {
    throw new InvalidDriverInfo(`driver_info/redfish_auth_type must be one of basic, session, auto; got ${authType}`);
  }
  return {
    address,
    systemId,
    username: optionalString(info, 'redfish_username'),
    password: optionalString(info, 'redfish_password'),
    verifyCa,
    authType,
  };
}

const PRIV_LEVELS = ['ADMINISTRATOR', 'OPERATOR', 'USER', 'CALLBACK'] as const;

export function parseIpmiDriverInfo(info: JsonObject): IpmiDriverInfo {
  const address = info.ipmi_address;
  if (address === undefined || address === null || address === '') throw missing('driver_info', ['ipmi_address']);
  if (typeof address !== 'string') throw new InvalidDriverInfo('driver_info/ipmi_address must be a string');
  const port = info.ipmi_port === undefined || info.ipmi_port === null ? 623 : Number(info.ipmi_port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidDriverInfo(`driver_info/ipmi_port must be an integer from 1 to 65535, got ${String(info.ipmi_port)}`);
  }
  const priv = (optionalString(info, 'ipmi_priv_level') ?? 'ADMINISTRATOR').toUpperCase();
  if (!(PRIV_LEVELS as readonly string[]).includes(priv)) {
    throw new InvalidDriverInfo(`driver_info/ipmi_priv_level must be one of ${PRIV_LEVELS.join(', ')}; got ${priv}`);
  }
  const suite = info.ipmi_cipher_suite === undefined || info.ipmi_cipher_suite === null ? 3 : Number(info.ipmi_cipher_suite);
  if (suite !== 3 && suite !== 17) {
    // Suite 0 sends no authentication at all; only the suites with AES and HMAC are accepted.
    throw new InvalidDriverInfo(`driver_info/ipmi_cipher_suite must be 3 or 17, got ${String(info.ipmi_cipher_suite)}`);
  }
  return {
    address,
    port,
    username: optionalString(info, 'ipmi_username'),
    password: optionalString(info, 'ipmi_password'),
    privLevel: priv as IpmiDriverInfo['privLevel'],
    cipherSuite: suite,
  };
}
