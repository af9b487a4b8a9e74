/**
 * A command failure as IPA reports it: `type` is the name of IPA's exception
 * class (ImageChecksumError, ImageDownloadError...), so whoever reads
 * command_error sees what a real agent would have said.
 */
export class AgentCommandError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'AgentCommandError';
  }
}
