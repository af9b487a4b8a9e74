// The config drive as IPA receives it and an installed OS reads it: a
// config-2 ISO, sent gzipped and base64-encoded (or as a URL to such a
// blob), holding openstack/latest/{meta_data.json,network_data.json,user_data}.
import { gunzipSync } from 'node:zlib';
import { rangeRead } from './http-fetch.js';
import { bufferReader, IsoImage } from './iso9660.js';
import { readNetworkData, type NetworkView } from './network-data.js';

/** Bigger than any config drive (Ironic caps them at 64 MiB). */
const MAX_CONFIG_DRIVE_BYTES = 64 * 1024 * 1024;
const MAX_JSON_BYTES = 1024 * 1024;
const MAX_USER_DATA_BYTES = 64 * 1024;
const GZIP_MAGIC = 0x1f8b;

export class ConfigDriveError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'ConfigDriveError';
  }
}

/** What the config drive says, as an OS would apply it. */
export interface ConfigDriveView extends NetworkView {
  hostname: string | null;
  uuid: string | null;
  publicKeys: string[];
  userData: string | null;
}

/**
 * The ISO bytes of a config drive given as IPA gets it: gzip+base64 text, or
 * an http(s) URL to that text (IPA downloads it the same way). Data that is
 * not gzipped after base64 is taken as the ISO itself, as IPA does.
 */
export async function configDriveIso(
  value: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Buffer> {
  let text = value;
  if (/^https?:\/\//.test(value)) {
    const fetched = await rangeRead(value, { length: MAX_CONFIG_DRIVE_BYTES, ...options });
    text = fetched.body.toString('ascii');
  }
  const decoded = Buffer.from(text.trim(), 'base64');
  if (decoded.length === 0) throw new ConfigDriveError('config drive is empty or not base64');
  if (decoded.length < 2 || decoded.readUInt16BE(0) !== GZIP_MAGIC) return decoded;
  try {
    return gunzipSync(decoded, { maxOutputLength: MAX_CONFIG_DRIVE_BYTES });
  } catch (err) {
    throw new ConfigDriveError(`config drive is not valid gzip: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

export async function readConfigDrive(iso: Buffer): Promise<ConfigDriveView> {
  const image = await IsoImage.open(bufferReader(iso));
  const meta = await readJson(image, 'openstack/latest/meta_data.json');
  const network = await readJson(image, 'openstack/latest/network_data.json');
  const userData = await image.readFile('openstack/latest/user_data', MAX_USER_DATA_BYTES);
  const metaObject = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>) : {};
  return {
    hostname: stringOrNull(metaObject.hostname) ?? stringOrNull(metaObject.name),
    uuid: stringOrNull(metaObject.uuid),
    publicKeys: publicKeysOf(metaObject.public_keys),
    userData: userData === null ? null : userData.toString('utf8'),
    ...readNetworkData(network),
  };
}

async function readJson(image: IsoImage, path: string): Promise<unknown> {
  const bytes = await image.readFile(path, MAX_JSON_BYTES);
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ConfigDriveError(`${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** meta_data.json gives keys as a name-to-key map. */
function publicKeysOf(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value as Record<string, unknown>).filter((k): k is string => typeof k === 'string');
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
