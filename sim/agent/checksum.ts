// Which checksum an image must match, from IPA's image_info: the
// os_hash_algo/os_hash_value pair (Glance's multihash) wins over the legacy
// `checksum`, whose algorithm IPA infers from its length (32 hex digits md5,
// 64 sha256, 128 sha512) or reads from an `algo:` prefix. Pure.

export type ChecksumAlgo = 'md5' | 'sha256' | 'sha512';

export interface ExpectedChecksum {
  algo: ChecksumAlgo;
  /** Lower-case hex. */
  value: string;
}

const ALGOS: readonly ChecksumAlgo[] = ['md5', 'sha256', 'sha512'];
const HEX_LENGTH: Readonly<Record<number, ChecksumAlgo>> = { 32: 'md5', 64: 'sha256', 128: 'sha512' };

/** image_info names no checksum this agent can verify; the deploy must fail, not write unverified bits. */
export class ChecksumSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChecksumSpecError';
  }
}

export function expectedChecksum(imageInfo: {
  checksum?: unknown;
  os_hash_algo?: unknown;
  os_hash_value?: unknown;
}): ExpectedChecksum {
  const { os_hash_algo: algo, os_hash_value: value, checksum } = imageInfo;
  if (typeof algo === 'string' && algo !== '' && typeof value === 'string' && value !== '') {
    const named = algo.toLowerCase();
    if (!isAlgo(named)) throw new ChecksumSpecError(`unsupported os_hash_algo "${algo}" (md5, sha256, sha512 are)`);
    return { algo: named, value: value.toLowerCase() };
  }
  if (typeof checksum !== 'string' || checksum === '')
    throw new ChecksumSpecError('image_info has neither checksum nor os_hash_algo and os_hash_value');
  if (/^https?:\/\//.test(checksum))
    throw new ChecksumSpecError('checksum URLs (a checksums file) are not supported by the simulated agent');
  const prefixed = /^([a-zA-Z0-9]+):([0-9a-fA-F]+)$/.exec(checksum);
  if (prefixed) {
    const named = (prefixed[1] as string).toLowerCase();
    const hex = prefixed[2] as string;
    if (!isAlgo(named)) throw new ChecksumSpecError(`unsupported checksum algorithm "${named}"`);
    return { algo: named, value: hex.toLowerCase() };
  }
  const inferred = /^[0-9a-fA-F]+$/.test(checksum) ? HEX_LENGTH[checksum.length] : undefined;
  if (inferred === undefined)
    throw new ChecksumSpecError(`checksum "${checksum}" is not an md5, sha256 or sha512 hex digest`);
  return { algo: inferred, value: checksum.toLowerCase() };
}

function isAlgo(name: string): name is ChecksumAlgo {
  return (ALGOS as readonly string[]).includes(name);
}
