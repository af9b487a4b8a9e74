// Which checksum an image must match, from IPA's image_info, checked and
// chosen as IPA's standby extension does: os_hash_algo/os_hash_value
// (Glance's multihash) when the algorithm is one this agent computes, else
// the legacy `checksum`, whose algorithm IPA infers from its length (32 hex
// digits md5, 64 sha256, 128 sha512); an `algo:` prefix names it outright,
// as Ironic's conductor reads image_checksum. Errors are IPA's. Pure.
import { AgentCommandError } from './command-error.js';

export type ChecksumAlgo = 'md5' | 'sha256' | 'sha512';

export interface ExpectedChecksum {
  algo: ChecksumAlgo;
  /** Lower-case hex. */
  value: string;
}

const ALGOS: readonly ChecksumAlgo[] = ['md5', 'sha256', 'sha512'];
const HEX_LENGTH: Readonly<Record<number, ChecksumAlgo>> = { 32: 'md5', 64: 'sha256', 128: 'sha512' };

export interface ImageChecksumFields {
  id?: unknown;
  urls?: unknown;
  checksum?: unknown;
  os_hash_algo?: unknown;
  os_hash_value?: unknown;
}

/** IPA's _validate_image_info, then the algorithm ImageDownload settles on. */
export function expectedChecksum(info: ImageChecksumFields): ExpectedChecksum {
  validate(info);
  const { os_hash_algo: algo, os_hash_value: value, checksum } = info;
  const id = String(info.id);
  if (typeof algo === 'string' && isAlgo(algo) && typeof value === 'string')
    return { algo, value: value.toLowerCase() };
  if (typeof checksum !== 'string')
    throw new AgentCommandError(
      'RESTError',
      `Unable to verify image ${id} with available checksums. Please make sure the specified 'os_hash_algo' (currently ${typeof algo === 'string' ? algo : 'None'}) is supported by this ramdisk, or provide a md5 checksum via the 'checksum' field`,
    );
  if (/^https?:\/\//.test(checksum))
    throw new AgentCommandError(
      'InvalidCommandParamsError',
      'checksum URLs (a checksums file) are not supported by the simulated agent',
    );
  const prefixed = /^([a-zA-Z0-9]+):([0-9a-fA-F]+)$/.exec(checksum);
  const named = prefixed?.[1]?.toLowerCase();
  if (prefixed && named !== undefined && isAlgo(named)) return { algo: named, value: prefixed[2]!.toLowerCase() };
  const inferred = HEX_LENGTH[checksum.length];
  if (inferred === undefined)
    throw new AgentCommandError(
      'RESTError',
      `Unable to proceed with image ${id} as the checksum indicator has been used but the algorithm could not be identified. Error: Unable to identify checksum algorithm used, and a value is not specified in the os_hash_algo setting.`,
    );
  return { algo: inferred, value: checksum.toLowerCase() };
}

function validate(info: ImageChecksumFields): void {
  for (const field of ['id', 'urls'] as const)
    if (info[field] === undefined)
      throw new AgentCommandError('InvalidCommandParamsError', `Image is missing '${field}' field.`);
  if (!Array.isArray(info.urls) || info.urls.length === 0)
    throw new AgentCommandError('InvalidCommandParamsError', "Image 'urls' must be a list with at least one element.");
  const { checksum, os_hash_algo: algo, os_hash_value: value } = info;
  if (checksum !== undefined && checksum !== null && (typeof checksum !== 'string' || checksum === ''))
    throw new AgentCommandError('InvalidCommandParamsError', "Image 'checksum' must be a non-empty string.");
  if (algo || value) {
    if (typeof algo !== 'string' || algo === '')
      throw new AgentCommandError('InvalidCommandParamsError', "Image 'os_hash_algo' must be a non-empty string.");
    if (typeof value !== 'string' || value === '')
      throw new AgentCommandError('InvalidCommandParamsError', "Image 'os_hash_value' must be a non-empty string.");
  }
  if (typeof checksum !== 'string' && !algo)
    throw new AgentCommandError(
      'InvalidCommandParamsError',
      "Image checksum is not available, either the 'checksum' field or the 'os_hash_algo' and 'os_hash_value' fields pair must be set for image verification.",
    );
}

function isAlgo(name: string): name is ChecksumAlgo {
  return (ALGOS as readonly string[]).includes(name);
}
