import { InvalidDriverInfo as InvalidBmcInfo, parseDriverInfo } from '../../bmc-drivers/index.js';
import type { Node } from '../nodes/index.js';

/** One interface's check failed; the message says why, in Ironic's words. */
export class ValidationFailure extends Error {}

/** Ironic's `check_for_missing_params`, with the interface's own lead (`Cannot validate PXE bootloader`) when it has one. */
export function missing(kind: 'driver_info' | 'instance_info', keys: string[], lead?: string): ValidationFailure {
  return new ValidationFailure(
    `${lead ? `${lead}. ` : ''}Some parameters were missing in node's ${kind}. Missing are: [${keys.map((k) => `'${k}'`).join(', ')}]`,
  );
}

export function requireKeys(node: Node, kind: 'driver_info' | 'instance_info', keys: string[], lead?: string): void {
  const doc = kind === 'driver_info' ? node.driver_info : node.instance_info;
  const absent = keys.filter((k) => doc[k] === undefined || doc[k] === null || doc[k] === '');
  if (absent.length > 0) throw missing(kind, absent, lead);
}

/** The BMC connection the node's driver needs: address, credentials and options, read as the conductor will. */
export function requireBmc(node: Node): void {
  try {
    parseDriverInfo(node.driver, node.driver_info);
  } catch (err) {
    if (err instanceof InvalidBmcInfo) throw new ValidationFailure(err.message);
    throw err;
  }
}

/** As the iPXE script renderer tells a URL from a path (pxe/http/scripts.ts): lower-case schemes only. */
const HTTP_URL = /^https?:\/\//;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * A boot file in driver_info names something the machine can fetch: an
 * http(s) URL, or (where `paths`) a path the boot HTTP server serves from its
 * boot files directory. Other schemes (Ironic's glance, file://) have no
 * server here to hand them to the machine; worded as Ironic's image href
 * validation.
 */
export function requireBootFileHref(node: Node, key: string, paths: boolean): void {
  const href = node.driver_info[key];
  if (typeof href === 'string' && (HTTP_URL.test(href) || (paths && !SCHEME.test(href)))) return;
  const scheme = typeof href === 'string' ? SCHEME.exec(href)?.[1] : undefined;
  const why = scheme ? `Image download protocol ${scheme} is not supported` : 'It is not an http(s) URL';
  const wanted = paths ? 'an http(s) URL or a path under the boot files directory' : 'an http(s) URL the BMC can fetch';
  throw new ValidationFailure(
    `Validation of image href ${typeof href === 'string' ? href : JSON.stringify(href)} failed, reason: ${why}; driver_info/${key} must be ${wanted}.`,
  );
}
