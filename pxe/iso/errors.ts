/** A virtual media ISO that could not be built; `reason` says what to fix (a missing program names its Debian package). */
export class VirtualMediaError extends Error {
  constructor(readonly reason: string) {
    super(`cannot build virtual media ISO: ${reason}`);
    this.name = 'VirtualMediaError';
  }
}
