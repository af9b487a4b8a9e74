/** A boot action that cannot be written as an iPXE script; `field` names the culprit. */
export class IpxeScriptError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`cannot render iPXE script: ${field} ${reason}`);
    this.name = 'IpxeScriptError';
  }
}
