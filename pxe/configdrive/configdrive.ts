/**
 * The OpenStack config drive (`config-2`) built from the dict form that
 * Metal3's baremetal-operator sends (API ≥ 1.56), as Ironic's conductor does
 * with openstacksdk's `configdrive.build`: the same files under the same
 * version directories (`openstack/2012-08-10/` and `openstack/latest/`),
 * vendor data as `vendor_data2.json`, empty sections left out, and
 * `meta_data.uuid`/`name` defaulting to the node's.
 *
 * Why ISO9660 is written here rather than by xorriso: the conductor builds a
 * drive on every deploy from operator-supplied data. A pure function needs no
 * program in the service image, no temporary directory holding user data, no
 * child process per deploy, and gives the same bytes for the same input (a
 * stable checksum); the format subset a config drive needs (small files,
 * Joliet names, one volume label) is a few hundred lines, and xorriso still
 * proves the result readable in the tests. The bootable virtual media ISO
 * (`pxe/iso/`) is another matter and does use xorriso and GRUB.
 */
import { ConfigDriveInvalid, IsoWriteError } from './errors.js';
import { writeIso9660, type IsoFile } from './iso9660-write.js';

type JsonObject = { [key: string]: unknown };

/** The dict form, validated. */
export interface ConfigDrive {
  metaData: JsonObject | null;
  networkData: JsonObject | null;
  /** A string is written as is; an object or array as JSON. */
  userData: string | JsonObject | unknown[] | null;
  vendorData: JsonObject | null;
}

/** What Ironic's conductor fills into `meta_data` when the caller did not. */
export interface ConfigDriveDefaults {
  uuid: string;
  name?: string | null;
}

export const CONFIG_DRIVE_LABEL = 'config-2';
/** openstacksdk's default: the first metadata version cloud-init knows, and `latest`. */
export const CONFIG_DRIVE_VERSIONS = ['2012-08-10', 'latest'] as const;
/** ironic-python-agent refuses a config drive partition larger than this. */
export const MAX_CONFIG_DRIVE_BYTES = 64 * 1024 * 1024;

const KEYS = ['meta_data', 'network_data', 'user_data', 'vendor_data'] as const;

/** Validates the dict form as Ironic's API schema does: these four keys only, each optional or null. */
export function parseConfigDrive(input: unknown): ConfigDrive {
  if (!isObject(input)) throw new ConfigDriveInvalid('configdrive', 'must be an object');
  for (const key of Object.keys(input)) {
    if (!(KEYS as readonly string[]).includes(key))
      throw new ConfigDriveInvalid(key, `is not one of ${KEYS.join(', ')}`);
  }
  const userData = input.user_data;
  if (userData !== undefined && userData !== null && typeof userData !== 'string' && typeof userData !== 'object') {
    throw new ConfigDriveInvalid('user_data', 'must be a string, an object or an array');
  }
  return {
    metaData: optionalObject(input, 'meta_data'),
    networkData: optionalObject(input, 'network_data'),
    userData: (userData ?? null) as ConfigDrive['userData'],
    vendorData: optionalObject(input, 'vendor_data'),
  };
}

/** The drive's files, in openstacksdk's layout. */
export function configDriveFiles(drive: ConfigDrive, defaults?: ConfigDriveDefaults): IsoFile[] {
  const metaData: JsonObject = { ...(drive.metaData ?? {}) };
  if (defaults) {
    metaData.uuid ??= defaults.uuid;
    if (defaults.name) metaData.name ??= defaults.name;
  }
  const entries: [string, Buffer][] = [['meta_data.json', json('meta_data', metaData)]];
  // openstacksdk writes network and vendor data only when non-empty (Python truthiness).
  if (drive.networkData && Object.keys(drive.networkData).length > 0)
    entries.push(['network_data.json', json('network_data', drive.networkData)]);
  if (drive.vendorData && Object.keys(drive.vendorData).length > 0)
    entries.push(['vendor_data2.json', json('vendor_data', drive.vendorData)]);
  const userData = userDataBytes(drive.userData);
  if (userData) entries.push(['user_data', userData]);
  return CONFIG_DRIVE_VERSIONS.flatMap((version) =>
    entries.map(([name, data]) => ({ path: `openstack/${version}/${name}`, data })),
  );
}

/** The `config-2` ISO9660 image for the dict form; ConfigDriveInvalid for input Ironic would refuse too. */
export function buildConfigDrive(input: unknown, defaults?: ConfigDriveDefaults): Buffer {
  const files = configDriveFiles(parseConfigDrive(input), defaults);
  try {
    return writeIso9660(files, { volumeId: CONFIG_DRIVE_LABEL, maxBytes: MAX_CONFIG_DRIVE_BYTES });
  } catch (error) {
    if (error instanceof IsoWriteError) throw new ConfigDriveInvalid('configdrive', error.reason);
    throw error;
  }
}

/** Ironic (conductor `build_configdrive`): a dict or list is JSON, a string is UTF-8, nothing or "" writes no file. */
function userDataBytes(userData: ConfigDrive['userData']): Buffer | null {
  if (userData === null || userData === '') return null;
  if (typeof userData === 'string') return Buffer.from(userData, 'utf8');
  return json('user_data', userData);
}

function json(field: string, value: unknown): Buffer {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    // A cycle or a BigInt: input that never came from a JSON body.
    throw new ConfigDriveInvalid(field, `cannot be written as JSON: ${(error as Error).message}`);
  }
  return Buffer.from(text, 'utf8');
}

function optionalObject(input: JsonObject, key: (typeof KEYS)[number]): JsonObject | null {
  const value = input[key];
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new ConfigDriveInvalid(key, 'must be an object');
  return value;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
