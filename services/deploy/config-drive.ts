import type { JsonObject, Node } from '../nodes/model.js';

/**
 * The config drive IPA writes, as Ironic stores it: gzip+base64 of an
 * ISO9660 `config-2` image. A string from the client is that already.
 */
export async function encodeConfigDrive(configdrive: string | JsonObject, node: Node): Promise<string> {
  if (typeof configdrive === 'string') return configdrive;
  throw new Error(`Node ${node.uuid}: building a config drive from its JSON form needs the ISO builder of pxe/configdrive.`);
}
