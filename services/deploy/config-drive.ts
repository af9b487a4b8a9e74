import {
  buildConfigDrive,
  ConfigDriveDecodeError,
  ConfigDriveInvalid,
  decodeConfigDrive,
  encodeConfigDrive,
} from '../../pxe/configdrive/index.js';
import type { JsonObject, Node } from '../nodes/index.js';

/** A node's network_data.json from its IPAM addresses, or null when it holds none. */
export type NetworkDataSource = (node: Node) => Promise<JsonObject | null>;

/**
 * The config drive IPA writes, as Ironic stores it: gzip+base64 of an
 * ISO9660 `config-2` image. A string from the client is that already; the
 * JSON form (what Metal3 sends) is built here, with network data from IPAM
 * when the request carries none.
 */
export function configDriveEncoder(networkDataOf: NetworkDataSource) {
  return async (configdrive: string | JsonObject, node: Node): Promise<string> => {
    if (typeof configdrive === 'string') return configdrive;
    const input: JsonObject = { ...configdrive };
    if (input.network_data === undefined || input.network_data === null) {
      const fromIpam = await networkDataOf(node);
      if (fromIpam !== null) input.network_data = fromIpam;
    }
    return encodeConfigDrive(buildConfigDrive(input, { uuid: node.uuid, ...(node.name ? { name: node.name } : {}) }));
  };
}

/** What ironic-python-agent downloads instead of decoding (its `_is_http_url`: lower-case schemes only). */
const HTTP_URL = /^https?:\/\/\S+$/;

/**
 * Why the agent could not write this config drive, in Ironic's words
 * (`Invalid configdrive format: ...`), or null when it can: a JSON object
 * (built here), a gzipped and base64-encoded image, or an http(s) URL the
 * agent downloads. Nothing (null, "") is no config drive, as in Ironic.
 * Pure: the API answers 400 with it, and the conductor checks a stored one
 * (instance_info/configdrive may also come by PATCH) before booting the agent,
 * so a drive the agent would refuse never costs a boot.
 */
export function configDriveProblem(configdrive: unknown): string | null {
  if (configdrive === undefined || configdrive === null || configdrive === '') return null;
  if (typeof configdrive === 'string') {
    if (HTTP_URL.test(configdrive)) return null;
    try {
      decodeConfigDrive(configdrive);
      return null;
    } catch (err) {
      if (!(err instanceof ConfigDriveDecodeError)) throw err;
      // decodeConfigDrive's reasons read "is not base64", "gzip data is corrupt (...)".
      const subject = err.reason.startsWith('gzip') ? 'its' : 'this one';
      return `Invalid configdrive format: a config drive string must be a gzipped, base64-encoded image or an http(s) URL (${subject} ${err.reason}).`;
    }
  }
  if (typeof configdrive === 'object' && !Array.isArray(configdrive)) {
    try {
      buildConfigDrive(configdrive);
      return null;
    } catch (err) {
      if (!(err instanceof ConfigDriveInvalid)) throw err;
      return `Invalid configdrive format: ${err.field} ${err.reason}.`;
    }
  }
  return 'Invalid configdrive format: it must be a string or a JSON object.';
}
