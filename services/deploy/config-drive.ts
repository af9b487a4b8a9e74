import { buildConfigDrive, encodeConfigDrive } from '../../pxe/configdrive/index.js';
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
