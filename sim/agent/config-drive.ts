// The config drive as IPA receives it and an installed OS reads it: a
// config-2 ISO, sent gzipped and base64-encoded (or as a URL to such a
// blob), holding openstack/latest/{meta_data.json,network_data.json,user_data}.
import { gunzipSync } from 'node:zlib';
import { AgentCommandError } from './command-error.js';
import { HttpFetchError, rangeRead } from './http-fetch.js';
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

export interface ConfigDriveFetch {
  /** Named in IPA's error messages. */
  nodeUuid: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The ISO bytes of a config drive given as IPA gets it (partition_utils'
 * get_configdrive), failing with IPA's DeploymentError words: text must be
 * base64 of gzip data; an http(s) URL is downloaded, and what it serves must
 * be the same, except that a download which is not base64 is taken as the
 * ISO itself.
 */
export async function configDriveIso(value: string, options: ConfigDriveFetch): Promise<Buffer> {
  const { nodeUuid } = options;
  let text = value;
  let downloaded: Buffer | null = null;
  if (/^https?:\/\//i.test(value)) {
    try {
      downloaded = (await rangeRead(value, { length: MAX_CONFIG_DRIVE_BYTES, ...options })).body;
    } catch (err) {
      const reason =
        err instanceof HttpFetchError && err.status !== null
          ? `Got status code ${err.status}`
          : `Reason: ${err instanceof Error ? err.message : String(err)}`;
      throw new AgentCommandError(
        'DeploymentError',
        `Can't download the configdrive content for node ${nodeUuid} from '${value}'. ${reason}`,
      );
    }
    text = downloaded.toString('latin1');
  }
  const decoded = pythonBase64(text);
  if ('error' in decoded) {
    if (downloaded !== null) return downloaded;
    throw new AgentCommandError(
      'DeploymentError',
      `Config drive for node ${nodeUuid} is not base64 encoded or the content is malformed. Error: ${decoded.error}.`,
    );
  }
  const gzipped = decoded.bytes;
  const unzipFailure = (reason: string): AgentCommandError =>
    new AgentCommandError(
      'DeploymentError',
      `Encountered error while decompressing and writing config drive for node ${nodeUuid}. Error: ${reason}`,
    );
  if (gzipped.length < 2 || gzipped.readUInt16BE(0) !== GZIP_MAGIC)
    throw unzipFailure(`Not a gzipped file (${pythonBytes(gzipped.subarray(0, 2))})`);
  try {
    return gunzipSync(gzipped, { maxOutputLength: MAX_CONFIG_DRIVE_BYTES });
  } catch (err) {
    throw unzipFailure(err instanceof Error ? err.message : String(err));
  }
}

const BASE64_ALPHABET = /[A-Za-z0-9+/]/;

/**
 * Python's base64.b64decode without validate: characters outside the
 * alphabet are skipped, a completed padding ends the data, and a last
 * group of one character, or of two or three without padding, is refused
 * with binascii's words.
 */
function pythonBase64(text: string): { bytes: Buffer } | { error: string } {
  let data = '';
  let quadPos = 0;
  let pads = 0;
  for (const ch of text) {
    if (ch === '=') {
      if (quadPos >= 2 && quadPos + ++pads >= 4) {
        quadPos = 0;
        break;
      }
      continue;
    }
    if (!BASE64_ALPHABET.test(ch)) continue;
    data += ch;
    pads = 0;
    quadPos = (quadPos + 1) % 4;
  }
  if (quadPos === 1)
    return {
      error: `Invalid base64-encoded string: number of data characters (${data.length}) cannot be 1 more than a multiple of 4`,
    };
  if (quadPos !== 0) return { error: 'Incorrect padding' };
  return { bytes: Buffer.from(data, 'base64') };
}

/** How Python prints a bytes value, as its gzip module's error quotes the magic it found. */
function pythonBytes(bytes: Buffer): string {
  const body = [...bytes]
    .map((b) => {
      if (b === 0x5c) return '\\\\';
      if (b === 0x27) return "\\'";
      if (b === 0x09) return '\\t';
      if (b === 0x0a) return '\\n';
      if (b === 0x0d) return '\\r';
      return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    })
    .join('');
  return `b'${body}'`;
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
