/** The dict form of a config drive (what Metal3's operator sends) that Anvil cannot build; `field` names the culprit. */
export class ConfigDriveInvalid extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`invalid configdrive: ${field} ${reason}`);
    this.name = 'ConfigDriveInvalid';
  }
}

/** A stored or uploaded config drive string that is not gzip+base64 of an image. */
export class ConfigDriveDecodeError extends Error {
  constructor(readonly reason: string) {
    super(`cannot decode configdrive: ${reason}`);
    this.name = 'ConfigDriveDecodeError';
  }
}

/** A file tree that cannot be laid out as ISO9660 + Joliet (a bad name, too large). */
export class IsoWriteError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot write ISO9660 image: ${path} ${reason}`);
    this.name = 'IsoWriteError';
  }
}

/** Bytes that are not an ISO9660 image this reader understands. */
export class IsoFormatError extends Error {
  constructor(readonly reason: string) {
    super(`not a readable ISO9660 image: ${reason}`);
    this.name = 'IsoFormatError';
  }
}
